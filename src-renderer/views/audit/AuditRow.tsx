import { memo } from 'react'
import type { AuditEntry } from '../../../src-main/api/contract'
import { SafetyPill } from '../../components/SafetyPill'
import { formatCompactTime, formatDate } from '../../lib/format'

export const ROW_HEIGHT = 32
export const COLUMNS = ['Seq', 'Time', 'Actor', 'Action', 'Target', 'Safety', 'Outcome'] as const

interface Props {
  index: number
  /** Position inside the window of drawn rows, in pixels. */
  offset: number
  seq: number | undefined
  /** Undefined while its page loads: a placeholder row keeps its place. */
  entry: AuditEntry | undefined
  selected: boolean
  flagged: boolean
  onOpen(entry: AuditEntry): void
}

/** One entry of the table. Memoized: scrolling redraws the window, and most rows stay as they were. */
export const AuditRow = memo(function AuditRow({ index, offset, seq, entry, selected, flagged, onOpen }: Props) {
  const style = { transform: `translateY(${offset}px)` }
  if (!entry) {
    return (
      <div className="audit-row audit-row-loading" role="row" aria-rowindex={index + 2} aria-busy="true" data-testid="audit-row-loading" style={style}>
        <span className="audit-col-seq mono" role="gridcell">
          {seq}
        </span>
        <span className="audit-placeholder" aria-hidden="true" />
      </div>
    )
  }
  const classes = ['audit-row', selected && 'audit-row-selected', flagged && 'audit-row-flagged'].filter(Boolean).join(' ')
  return (
    <div
      id={`audit-row-${entry.seq}`}
      className={classes}
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-testid="audit-row"
      data-seq={entry.seq}
      style={style}
      onClick={() => onOpen(entry)}
    >
      <span className="audit-col-seq mono" role="gridcell">
        {entry.seq}
      </span>
      <span className="audit-col-time" role="gridcell" title={`${formatDate(entry.time)} · ${entry.time}`}>
        {formatCompactTime(entry.time)}
      </span>
      <span className="audit-col-actor" role="gridcell" title={entry.actor}>
        {entry.actor}
      </span>
      <span className="audit-col-action mono" role="gridcell" title={entry.action}>
        {entry.action}
      </span>
      <span className="audit-col-target" role="gridcell" title={entry.target}>
        {entry.target || <span className="faint">—</span>}
      </span>
      <span className="audit-col-safety" role="gridcell">
        <SafetyPill level={entry.safety} />
      </span>
      <span className="audit-col-outcome" role="gridcell">
        <Outcome value={entry.outcome} />
      </span>
    </div>
  )
})

export function Outcome({ value }: { value: string }) {
  const known = value === 'ok' || value === 'failed' || value === 'declined'
  return <span className={`outcome ${known ? `outcome-${value}` : ''}`}>{value}</span>
}
