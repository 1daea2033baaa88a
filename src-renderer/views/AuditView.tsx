import { useVirtualizer } from '@tanstack/react-virtual'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { AuditEntry, AuditFilter, AuditStatus, BundleReport, VerifyReport } from '../../src-main/api/contract'
import { api } from '../api/client'
import { errorMessage } from '../lib/errors'
import { formatDate } from '../lib/format'
import { useToasts } from '../stores/toasts'
import { cleanFilter, isFiltered, listSource, liveSource, queryPage, BLOCK, type RowSource } from './audit/data'
import { EntryDetail } from './audit/EntryDetail'
import { AuditToolbar } from './audit/AuditToolbar'

const ROW_HEIGHT = 32
const MAX_UPLOAD = 45 * 1024 * 1024

type Progress = { operation: string; done: number; total: number } | null

/** The audit log: every entry, scrollable to the first of a million, searchable, verifiable, exportable. */
export function AuditView() {
  const [status, setStatus] = useState<AuditStatus | null>(null)
  const [form, setForm] = useState<AuditFilter>({})
  const filter = useMemo(() => cleanFilter(form), [form])
  const [filtered, setFiltered] = useState<{ rows: AuditEntry[]; hasMore: boolean }>({ rows: [], hasMore: false })
  const [review, setReview] = useState<BundleReport | null>(null)
  const [selected, setSelected] = useState<number | null>(null)
  const [badSeq, setBadSeq] = useState<number | null>(null)
  const [verdict, setVerdict] = useState<VerifyReport | null>(null)
  const [progress, setProgress] = useState<Progress>(null)
  const [exported, setExported] = useState<string | null>(null)
  const [fresh, setFresh] = useState(0)
  const [, redraw] = useState(0)
  const cache = useRef(new Map<number, AuditEntry[]>()).current
  const scroller = useRef<HTMLDivElement>(null)
  const toast = useToasts((s) => s.push)

  const refreshStatus = useCallback(() => api.call('audit.status', {}).then(setStatus), [])
  useEffect(() => void refreshStatus().catch((err) => toast('error', errorMessage(err))), [refreshStatus, toast])

  // Live tail: the newest block changes; if the user scrolled away, keep their rows where they are.
  useEffect(
    () =>
      api.on('audit', ({ size, entries }) => {
        for (const e of entries) cache.delete(Math.floor(e.seq / BLOCK))
        setStatus((s) => (s ? { ...s, size } : s))
        const el = scroller.current
        if (el && el.scrollTop > ROW_HEIGHT) {
          el.scrollTop += entries.length * ROW_HEIGHT
          setFresh((n) => n + entries.length)
        }
      }),
    [cache],
  )
  useEffect(() => api.on('audit:progress', (p) => setProgress(p)), [])

  // A filter starts a fresh query; typing is debounced so each key does not hit the host.
  useEffect(() => {
    if (!isFiltered(filter)) return
    const timer = setTimeout(() => {
      queryPage(filter)
        .then((rows) => setFiltered({ rows, hasMore: rows.length === BLOCK }))
        .catch((err) => toast('error', errorMessage(err)))
    }, 200)
    return () => clearTimeout(timer)
  }, [filter, toast])

  const loadingMore = useRef(false)
  const loadMore = useCallback(() => {
    if (loadingMore.current) return
    loadingMore.current = true
    const last = filtered.rows.at(-1)
    queryPage(filter, last?.seq)
      .then((rows) => setFiltered((f) => ({ rows: [...f.rows, ...rows], hasMore: rows.length === BLOCK })))
      .finally(() => (loadingMore.current = false))
  }, [filter, filtered.rows])

  const mode = review ? 'review' : isFiltered(filter) ? 'filtered' : 'live'
  const source: RowSource = useMemo(() => {
    if (review) return listSource([...review.entries].reverse(), false, () => {})
    if (mode === 'filtered') return listSource(filtered.rows, filtered.hasMore, loadMore)
    return liveSource(status?.size ?? 0, cache, () => redraw((n) => n + 1))
  }, [review, mode, filtered, loadMore, status?.size, cache])

  const virtualizer = useVirtualizer({ count: source.count, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 30 })
  const items = virtualizer.getVirtualItems()
  useEffect(() => {
    if (items.length) source.want(items[0].index, items[items.length - 1].index)
  })

  const select = (seq: number | null) => {
    setSelected(seq)
    if (seq === null) return
    const index = source.indexOf(seq)
    if (index !== undefined) virtualizer.scrollToIndex(index, { align: 'auto' })
  }

  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === 'Escape') return setSelected(null)
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return
    event.preventDefault()
    const index = selected === null ? -1 : (source.indexOf(selected) ?? -1)
    const next = Math.max(0, Math.min(source.count - 1, index + (event.key === 'ArrowDown' ? 1 : -1)))
    const entry = source.row(next)
    if (entry) select(entry.seq)
  }

  const verify = async () => {
    setVerdict(null)
    setBadSeq(null)
    setProgress({ operation: 'verify', done: 0, total: status?.size ?? 0 })
    try {
      const report = await api.call('audit.verify', {})
      setVerdict(report)
      if (!report.ok && typeof report.problem?.seq === 'number') {
        setReview(null)
        setForm({})
        setBadSeq(report.problem.seq)
        setTimeout(() => select(report.problem!.seq), 50)
      }
      void refreshStatus()
    } catch (err) {
      toast('error', errorMessage(err))
    } finally {
      setProgress(null)
    }
  }

  const exportBundle = async () => {
    setExported(null)
    setProgress({ operation: 'export', done: 0, total: 0 })
    try {
      const result = await api.call('audit.export', { filter })
      setExported(`Exported ${result.entries} ${result.complete ? '' : 'matching '}entries to ${result.file}`)
    } catch (err) {
      toast('error', errorMessage(err))
    } finally {
      setProgress(null)
    }
  }

  const openBundle = async (file: File) => {
    if (file.size > MAX_UPLOAD) return toast('error', `${file.name} is larger than 45 MB: check it with \`dwcp audit verify ${file.name}\` instead`)
    setProgress({ operation: 'open', done: 0, total: 0 })
    try {
      const contentBase64 = await readBase64(file)
      const report = await api.call('audit.openBundle', { contentBase64, name: file.name })
      setSelected(null)
      setReview(report)
    } catch (err) {
      toast('error', errorMessage(err))
    } finally {
      setProgress(null)
    }
  }

  const sign = () =>
    api
      .call('audit.sign', {})
      .then(() => refreshStatus())
      .catch((err) => toast('error', errorMessage(err)))

  const selectedEntry = selected === null ? undefined : (source.row(source.indexOf(selected) ?? -1) ?? undefined)

  return (
    <div className="audit">
      <AuditToolbar
        status={status}
        form={form}
        setForm={setForm}
        busy={progress !== null}
        reviewing={!!review}
        onVerify={verify}
        onExport={exportBundle}
        onOpenBundle={openBundle}
        onSign={sign}
      />
      {progress && (
        <div className="audit-progress" data-testid="audit-progress" role="progressbar" aria-valuenow={progress.done} aria-valuemax={progress.total || undefined}>
          <span>{progressLabel(progress)}</span>
          <div className="progress-track">
            <div className={progress.total ? 'progress-bar' : 'progress-bar progress-indeterminate'} style={progress.total ? { width: `${Math.min(100, (100 * progress.done) / progress.total)}%` } : undefined} />
          </div>
        </div>
      )}
      {verdict && <Verdict report={verdict} onDismiss={() => setVerdict(null)} />}
      {exported && (
        <div className="audit-notice" data-testid="audit-export-result" role="status">
          {exported}. Check it anywhere with <code>dwcp audit verify FILE</code>.
          <button className="btn btn-ghost btn-small" onClick={() => setExported(null)}>
            Dismiss
          </button>
        </div>
      )}
      {review && <ReviewBanner review={review} onClose={() => setReview(null)} />}
      <div className="audit-body">
        <div className="audit-table" data-testid="audit-table" role="grid" aria-rowcount={source.count} aria-label="Audit entries, newest first" tabIndex={0} onKeyDown={onKeyDown}>
          <div className="audit-row audit-head" role="row">
            {['#', 'Time', 'Actor', 'Action', 'Target', 'Safety', 'Outcome'].map((h) => (
              <span key={h} role="columnheader">
                {h}
              </span>
            ))}
          </div>
          {fresh > 0 && mode === 'live' && (
            <button
              className="audit-fresh"
              onClick={() => {
                setFresh(0)
                scroller.current?.scrollTo({ top: 0 })
              }}
            >
              {fresh} new {fresh === 1 ? 'entry' : 'entries'} ↑
            </button>
          )}
          <div className="audit-scroll" ref={scroller} onScroll={(e) => e.currentTarget.scrollTop < ROW_HEIGHT && fresh && setFresh(0)}>
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {items.map((item) => {
                const entry = source.row(item.index)
                return (
                  <Row
                    key={item.key}
                    top={item.start}
                    entry={entry}
                    selected={entry !== undefined && entry.seq === selected}
                    bad={entry !== undefined && entry.seq === badSeq}
                    onSelect={select}
                  />
                )
              })}
            </div>
            {source.count === 0 && <p className="audit-empty">{mode === 'filtered' ? 'No entry matches these filters.' : 'The audit log is empty.'}</p>}
          </div>
          <div className="audit-foot">
            {mode === 'live' && `${(status?.size ?? 0).toLocaleString()} entries · live`}
            {mode === 'filtered' && `${source.count.toLocaleString()} matching entries loaded${source.hasMore ? ' · scroll for more' : ''}`}
            {mode === 'review' && `${review!.entryCount.toLocaleString()} entries in the bundle${review!.entryCount > review!.entries.length ? ` · the first ${review!.entries.length.toLocaleString()} are shown` : ''}`}
          </div>
        </div>
        {selectedEntry && <EntryDetail entry={selectedEntry} reviewing={!!review} onClose={() => setSelected(null)} />}
      </div>
    </div>
  )
}

function Row({ top, entry, selected, bad, onSelect }: { top: number; entry: AuditEntry | undefined; selected: boolean; bad: boolean; onSelect(seq: number): void }) {
  if (!entry) return <div className="audit-row audit-row-loading" style={{ transform: `translateY(${top}px)` }} aria-hidden="true" />
  const classes = ['audit-row', selected && 'audit-row-selected', bad && 'audit-row-bad'].filter(Boolean).join(' ')
  return (
    <div className={classes} role="row" data-testid="audit-row" data-seq={entry.seq} aria-selected={selected} style={{ transform: `translateY(${top}px)` }} onClick={() => onSelect(entry.seq)}>
      <span className="mono">{entry.seq}</span>
      <span title={entry.time}>{formatDate(entry.time)}</span>
      <span>{entry.actor}</span>
      <span className="mono">{entry.action}</span>
      <span title={entry.target}>{entry.target}</span>
      <span>{entry.safety ? <span className={`safety safety-${entry.safety}`}>{entry.safety}</span> : <span className="faint">—</span>}</span>
      <span className={`outcome outcome-${entry.outcome}`}>{entry.outcome}</span>
    </div>
  )
}

function Verdict({ report, onDismiss }: { report: VerifyReport; onDismiss(): void }) {
  return (
    <div className={report.ok ? 'audit-verdict verdict-ok' : 'audit-verdict verdict-bad'} data-testid="audit-verdict" data-ok={String(report.ok)} role="status">
      <span>
        <strong>{report.ok ? 'Intact.' : 'Tampered.'}</strong>{' '}
        {report.ok
          ? `Verified ${report.entries.toLocaleString()} entries and ${report.heads} signed ${report.heads === 1 ? 'head' : 'heads'} in ${report.durationMs} ms · root ${report.rootHash.slice(0, 16)}…${report.keyFingerprints[0] ? ` · key ${report.keyFingerprints[0].slice(0, 16)}…` : ''}`
          : report.problem?.message}
      </span>
      <button className="btn btn-ghost btn-small" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  )
}

function ReviewBanner({ review, onClose }: { review: BundleReport; onClose(): void }) {
  const ok = review.verdict.ok
  return (
    <div className={ok ? 'audit-review verdict-ok' : 'audit-review verdict-bad'} data-testid="audit-review-banner" role="status">
      <div>
        <strong>Reviewing {review.file}</strong> (read-only) · {ok ? 'verified ✓' : `FAILED: ${review.verdict.problem?.message}`} · {review.entryCount.toLocaleString()} {review.complete ? 'entries (complete log)' : 'entries (filtered)'} · exported {formatDate(review.exportedAt)}
        <br />
        Signed by key <code title={review.keyFingerprint}>{review.keyFingerprint.slice(0, 16)}…</code> — {review.fromThisInstallation ? 'this installation' : 'another installation: compare the fingerprint with the one its owner gives you'}
      </div>
      <button className="btn btn-small" onClick={onClose}>
        Close review
      </button>
    </div>
  )
}

function progressLabel(p: NonNullable<Progress>): string {
  const what = p.operation === 'verify' ? 'Verifying' : p.operation === 'export' ? 'Exporting' : 'Opening bundle'
  return p.total ? `${what}… ${p.done.toLocaleString()} of ${p.total.toLocaleString()}` : `${what}…`
}

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''))
    reader.onerror = () => reject(reader.error ?? new Error(`could not read ${file.name}`))
    reader.readAsDataURL(file)
  })
}
