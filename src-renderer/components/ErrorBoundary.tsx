import { Component, type ErrorInfo, type ReactNode } from 'react'
import { Icon } from './Icon'

interface Props {
  children: ReactNode
  /** 'page' replaces the whole window; 'view' replaces only the view, leaving the rail usable. */
  scope: 'page' | 'view'
}

interface State {
  error: Error | null
}

/** A bug in one view must never leave a blank window: say what broke and offer a way back. */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null }

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) }
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('the interface failed', error, info.componentStack)
  }

  override render(): ReactNode {
    const { error } = this.state
    if (!error) return this.props.children
    const page = this.props.scope === 'page'
    return (
      <div className={page ? 'crash crash-page' : 'crash'} role="alert">
        <Icon name="alert" size={28} className="crash-icon" />
        <h2>{page ? 'DWCP Console hit a problem' : 'This view hit a problem'}</h2>
        <p className="crash-message">{error.message}</p>
        <div className="button-row">
          {page ? (
            <button type="button" className="btn btn-primary" onClick={() => location.reload()}>
              Reload
            </button>
          ) : (
            <button type="button" className="btn" onClick={() => this.setState({ error: null })}>
              Try again
            </button>
          )}
        </div>
      </div>
    )
  }
}
