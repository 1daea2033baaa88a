import { Icon } from './Icon'

/** Browser mode only: the session cookie is gone (or the host restarted). */
export function SignedOut() {
  return (
    <main className="signed-out" data-testid="signed-out">
      <div className="signed-out-card">
        <Icon name="lock" size={28} className="signed-out-icon" />
        <h1>You are signed out</h1>
        <p>
          This browser no longer has a session with the DWCP Console host. Open the sign-in link that <code>dwcp serve</code>{' '}
          printed, or sign in with the API token (<code>dwcp token</code> prints it).
        </p>
        <a className="btn btn-primary" href="/login">
          Sign in
        </a>
      </div>
    </main>
  )
}
