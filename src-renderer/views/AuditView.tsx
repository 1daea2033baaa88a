import { useEffect } from 'react'
import type { AuditEntry } from '../../src-main/api/contract'
import { api } from '../api/client'
import { modeOf, useAudit } from '../stores/audit'
import { AuditFilters } from './audit/AuditFilters'
import { AuditHeader } from './audit/AuditHeader'
import { AuditTable } from './audit/AuditTable'
import { EntryDetail, useEscapeClosesDetail } from './audit/EntryDetail'
import { AuditNotices } from './audit/Notices'

/**
 * The audit log: every entry since the installation began, scrollable to the first of millions,
 * searchable, verifiable here and now, exportable as a bundle anyone can check, and bundles from
 * elsewhere opened for review.
 */
export function AuditView() {
  useLiveTail()
  useEscapeClosesDetail()
  const reviewing = useAudit((s) => modeOf(s) === 'review')
  return (
    <div className="audit" data-testid="audit-view">
      <AuditHeader />
      {!reviewing && <AuditFilters />}
      <AuditNotices />
      <div className="audit-body">
        <AuditTable />
        <EntryDetail />
      </div>
    </div>
  )
}

/** How often a burst of appends is drawn: each redraw re-measures a table of up to millions of rows. */
const TAIL_FLUSH_MS = 150
/** Signed heads are made by the host on a timer, without an event: look again now and then. */
const STATUS_POLL_MS = 30_000

/** While the view is shown: follow appends, progress of long operations, and the log's status. */
function useLiveTail(): void {
  useEffect(() => {
    // A fresh table starts at the top; what was missed while away is in the status read below.
    useAudit.setState({ atTop: true, unseen: 0 })
    let pending: AuditEntry[] = []
    let size = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const flush = () => {
      timer = undefined
      const entries = pending
      pending = []
      useAudit.getState().received({ entries, size })
    }
    const stops = [
      api.on('audit', (event) => {
        pending = pending.concat(event.entries)
        size = Math.max(size, event.size)
        timer ??= setTimeout(flush, TAIL_FLUSH_MS)
      }),
      api.on('audit:progress', (event) => useAudit.getState().progressed(event)),
      // Read the status now (this listener is called at once) and after every reconnection: entries
      // appended while the link was down never arrive as events.
      api.onConnection((state) => {
        if (state === 'connected') void useAudit.getState().loadStatus()
      }),
    ]
    const poll = setInterval(() => void useAudit.getState().loadStatus({ quiet: true }), STATUS_POLL_MS)
    return () => {
      stops.forEach((stop) => stop())
      clearInterval(poll)
      if (timer) clearTimeout(timer)
    }
  }, [])
}
