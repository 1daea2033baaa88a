import { useToasts } from '../stores/toasts'
import { Icon } from './Icon'

/** Failed calls and short confirmations, top right, each dismissible. */
export function Toasts() {
  const toasts = useToasts((s) => s.toasts)
  const dismiss = useToasts((s) => s.dismiss)
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((toast) => (
        <div key={toast.id} className={`toast toast-${toast.tone}`} role={toast.tone === 'error' ? 'alert' : 'status'} data-testid="toast">
          <Icon name={toast.tone === 'error' ? 'alert' : 'check'} size={16} className="toast-icon" />
          <p className="toast-message">{toast.message}</p>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>
            <Icon name="close" size={14} />
          </button>
        </div>
      ))}
    </div>
  )
}
