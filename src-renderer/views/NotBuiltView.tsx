import { Icon } from '../components/Icon'
import { useEngine, useSystem } from '../stores/system'
import type { ViewDef } from './catalog'

/**
 * The honest face of a view whose engine is not built: what is missing, which issue brings it, and
 * what the view will show then. No sample data, no placeholder charts.
 */
export function NotBuiltView({ view }: { view: ViewDef }) {
  const engine = useEngine(view.engine)
  const loaded = useSystem((s) => s.info !== null)
  return (
    <section className="not-built" data-testid="not-built" aria-labelledby="not-built-title">
      <div className="not-built-icon">
        <Icon name={view.icon} size={26} />
      </div>
      <h2 id="not-built-title">{engine?.name ?? view.label}</h2>
      <p className="not-built-badge">
        {/* Should an engine be ready before its view is, say which of the two is missing. */}
        <span className="badge">{engine?.ready ? 'View not built yet' : 'Not built yet'}</span>
      </p>
      {engine ? (
        <p>
          {sentence(engine.detail)}
          {engine.issue !== undefined && (
            <>
              {' '}
              It arrives with <span className="issue-ref">issue #{engine.issue}</span>.
            </>
          )}
        </p>
      ) : (
        <p>{loaded ? 'The engine behind this view is not built yet.' : 'Asking the host about this view’s engine…'}</p>
      )}
      {view.purpose && (
        <p className="not-built-purpose">
          <span className="not-built-purpose-label">Once built</span>
          {view.purpose}
        </p>
      )}
    </section>
  )
}

/** The host's detail is a phrase; end it like a sentence. */
function sentence(text: string): string {
  const trimmed = text.trim()
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`
}
