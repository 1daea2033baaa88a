import { useEffect } from 'react'
import type { AuditEntry } from '../../../src-main/api/contract'
import { livePages } from '../../audit/pages'
import { Icon } from '../../components/Icon'
import { SafetyPill } from '../../components/SafetyPill'
import { formatDate } from '../../lib/format'
import { modeOf, useAudit } from '../../stores/audit'
import { Outcome } from './AuditRow'
import { ProofSection } from './ProofSection'

/** The side panel: one entry in full, with its inclusion proof. */
export function EntryDetail() {
  const open = useAudit((s) => s.detailOpen)
  const seq = useAudit((s) => s.selectedSeq)
  const entry = useSelectedEntry()
  const reviewing = useAudit((s) => s.review !== null)
  const flagged = useAudit((s) => s.flaggedSeq !== null && s.flaggedSeq === s.selectedSeq)
  if (!open || seq === null) return null
  return (
    <aside className="audit-detail" data-testid="audit-detail" data-seq={seq} aria-labelledby="audit-detail-title">
      <header className="audit-detail-head">
        <h2 id="audit-detail-title">
          Entry <span className="mono">#{seq.toLocaleString()}</span>
        </h2>
        <button
          type="button"
          className="icon-button"
          aria-label="Close (Esc)"
          title="Close (Esc)"
          onClick={() => {
            useAudit.getState().setDetailOpen(false)
            document.getElementById('audit-grid')?.focus()
          }}
        >
          <Icon name="close" size={14} />
        </button>
      </header>
      {flagged && <p className="audit-detail-flag">Verification stopped at this entry.</p>}
      {entry ? <EntryFields entry={entry} /> : <p className="muted">Loading entry #{seq}…</p>}
      {reviewing ? (
        <section className="audit-detail-section">
          <h3>Inclusion proof</h3>
          <p className="muted">Not fetched for a bundle: every entry in it was checked against the bundle’s signed heads when it was opened.</p>
        </section>
      ) : (
        entry && <ProofSection entry={entry} />
      )}
    </aside>
  )
}

function EntryFields({ entry }: { entry: AuditEntry }) {
  return (
    <>
      <dl className="audit-fields">
        <dt>Time</dt>
        <dd>
          {formatDate(entry.time)}
          <span className="audit-iso mono">{entry.time}</span>
        </dd>
        <dt>Actor</dt>
        <dd>{entry.actor}</dd>
        <dt>Action</dt>
        <dd className="mono">{entry.action}</dd>
        <dt>Target</dt>
        <dd className="audit-break">{entry.target || <span className="faint">—</span>}</dd>
        <dt>Intent</dt>
        <dd className="mono">{entry.intentId ?? <span className="faint">—</span>}</dd>
        <dt>Safety</dt>
        <dd>
          <SafetyPill level={entry.safety} />
        </dd>
        <dt>Outcome</dt>
        <dd>
          <Outcome value={entry.outcome} />
        </dd>
      </dl>
      <section className="audit-detail-section">
        <h3>Details</h3>
        <pre className="audit-code" data-testid="audit-detail-json">
          {prettyJson(entry.details)}
        </pre>
      </section>
    </>
  )
}

/** The selected entry: known from the click, or found in whatever the table has loaded since. */
function useSelectedEntry(): AuditEntry | undefined {
  return useAudit((s) => {
    const seq = s.selectedSeq
    if (seq === null) return undefined
    if (s.selectedEntry?.seq === seq) return s.selectedEntry
    const mode = modeOf(s)
    if (mode === 'review') return s.reviewRows.find((e) => e.seq === seq)
    if (mode === 'filtered') return s.results?.rows.find((e) => e.seq === seq)
    return livePages.entry(seq)
  })
}

/** Details are canonical JSON (no white space); indent them for reading. */
function prettyJson(details: string): string {
  try {
    return JSON.stringify(JSON.parse(details), null, 2)
  } catch {
    return details
  }
}

/** Esc closes the panel from anywhere in the view and gives the keyboard back to the table. */
export function useEscapeClosesDetail(): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return
      const state = useAudit.getState()
      if (!state.detailOpen) return
      if ((event.target as HTMLElement | null)?.closest('input, select, textarea, dialog')) return
      state.setDetailOpen(false)
      document.getElementById('audit-grid')?.focus()
    }
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [])
}
