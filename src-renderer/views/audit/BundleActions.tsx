import { useRef } from 'react'
import { modeOf, useAudit } from '../../stores/audit'

/** Export what is shown, or open a bundle: moving entries in and out of this installation. */
export function BundleActions() {
  const task = useAudit((s) => s.task)
  const reviewing = useAudit((s) => s.review !== null)
  const filtering = useAudit((s) => modeOf(s) === 'filtered')
  const { exportBundle, openBundle } = useAudit.getState()
  const input = useRef<HTMLInputElement>(null)
  const busy = task !== null
  return (
    <div className="audit-actions">
      <button
        type="button"
        className="btn btn-small"
        data-testid="audit-export"
        onClick={() => void exportBundle()}
        disabled={busy || reviewing}
        title={filtering ? 'Write the matching entries to a bundle anyone can verify' : 'Write the whole log to a bundle anyone can verify'}
      >
        {task?.operation === 'export' ? 'Exporting…' : filtering ? 'Export matches' : 'Export log'}
      </button>
      <button type="button" className="btn btn-small" data-testid="audit-open-bundle" onClick={() => input.current?.click()} disabled={busy}>
        {task?.operation === 'open' ? 'Opening…' : 'Open bundle…'}
      </button>
      {/* The picker is hidden; the button above opens it (and tests give it a file directly). */}
      <input
        ref={input}
        type="file"
        accept=".dwcpaudit"
        hidden
        data-testid="audit-bundle-input"
        onChange={(event) => {
          const file = event.target.files?.[0]
          event.target.value = '' // choosing the same file again must still fire a change
          if (file) void openBundle(file)
        }}
      />
    </div>
  )
}
