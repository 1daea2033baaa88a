import { useAudit, type AuditMode } from '../../stores/audit'

/** What the table holds, and whether new entries arrive in it. */
export function TableFooter({ mode }: { mode: AuditMode }) {
  return (
    <div className="audit-foot" data-testid="audit-count" role="status">
      {mode === 'live' && <LiveFooter />}
      {mode === 'filtered' && <FilteredFooter />}
      {mode === 'review' && <ReviewFooter />}
    </div>
  )
}

function LiveFooter() {
  const size = useAudit((s) => s.status?.size)
  const atTop = useAudit((s) => s.atTop)
  return (
    <>
      <span>{size === undefined ? 'Reading the log…' : `${size.toLocaleString()} ${size === 1 ? 'entry' : 'entries'}, newest first`}</span>
      <span className={atTop ? 'audit-live audit-live-on' : 'audit-live'} data-testid="audit-live" data-live={String(atTop)}>
        <span className="audit-live-dot" aria-hidden="true" />
        {atTop ? 'Live' : 'Paused while you look at older entries'}
      </span>
    </>
  )
}

function FilteredFooter() {
  const results = useAudit((s) => s.results)
  if (!results || results.stale) return <span>Searching…</span>
  const count = `${results.rows.length.toLocaleString()} matching ${results.rows.length === 1 ? 'entry' : 'entries'} loaded`
  const more = results.loading ? 'loading more…' : results.hasMore ? 'more… (scroll down)' : results.error ? `stopped: ${results.error}` : 'that is all of them'
  return (
    <span>
      {count} · <span className={results.hasMore || results.loading ? 'audit-more' : 'faint'}>{more}</span>
    </span>
  )
}

function ReviewFooter() {
  const review = useAudit((s) => s.review)
  if (!review) return null
  const shown = review.entries.length
  return (
    <span>
      {review.entryCount.toLocaleString()} {review.entryCount === 1 ? 'entry' : 'entries'} in the bundle
      {review.entryCount > shown && ` · only the first ${shown.toLocaleString()} are listed here (all of them were verified)`}
    </span>
  )
}
