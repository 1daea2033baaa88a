import { useVirtualizer } from '@tanstack/react-virtual'
import type { AuditEntry } from '../../../src-main/api/contract'
import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef } from 'react'
import { livePages } from '../../audit/pages'
import { listRows, liveRows, type RowSource } from '../../audit/rows'
import { observeScaledRect, realHeightOf, ScaledScroll } from '../../audit/scroll'
import { modeOf, useAudit, type AuditMode } from '../../stores/audit'
import { AuditRow, COLUMNS, ROW_HEIGHT } from './AuditRow'
import { TableFooter } from './TableFooter'

/** Rows above and below the visible ones, drawn ahead so a wheel scroll never shows a gap. */
const OVERSCAN = 12

/**
 * The audit log as a grid, newest first, virtualized: only the rows on screen exist, whether the log
 * holds ten entries or ten million. Arrow keys, Page Up/Down, Home/End move the selection; Enter opens
 * the entry; Esc closes it.
 */
export function AuditTable() {
  const mode = useAudit(modeOf)
  const source = useRowSource(mode)
  const selectedSeq = useAudit((s) => s.selectedSeq)
  const flaggedSeq = useAudit((s) => s.flaggedSeq)
  const stale = useAudit((s) => mode === 'filtered' && !!s.results?.stale)
  const loading = useAudit((s) => mode === 'filtered' && !!s.results?.loading)
  const { select, setDetailOpen, setAtTop } = useAudit.getState()

  const element = useRef<HTMLDivElement>(null)
  const windowEl = useRef<HTMLDivElement>(null)
  const scaled = useRef<ScaledScroll | null>(null)
  const virtualHeight = source.count * ROW_HEIGHT
  if (scaled.current) scaled.current.virtualHeight = virtualHeight
  const scroller = useCallback(() => {
    if (!scaled.current && element.current) scaled.current = new ScaledScroll(element.current)
    if (scaled.current) scaled.current.virtualHeight = source.count * ROW_HEIGHT
    return scaled.current
  }, [source.count])

  // Rows keyed by seq keep their element when new entries push them down, so a row never changes
  // under the pointer into another entry. (A new function only with a new source: the virtualizer
  // walks every row again when it changes.)
  const getItemKey = useCallback((index: number) => source.seqAt(index) ?? -1 - index, [source])
  const virtualizer = useVirtualizer<HTMLElement, HTMLDivElement>({
    count: source.count,
    getItemKey,
    // The virtualizer works in virtual pixels through the stand-in (see audit/scroll.ts).
    getScrollElement: () => scroller() as unknown as HTMLElement,
    observeElementRect: observeScaledRect,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
  })
  const items = virtualizer.getVirtualItems()
  const firstStart = items[0]?.start ?? 0
  const firstStartRef = useRef(firstStart)
  firstStartRef.current = firstStart

  // Fetch what the rows on screen need (pages of the live log, or the next results of a filter).
  useEffect(() => {
    if (items.length) source.show(items[0].index, items[items.length - 1].index)
  })

  useKeepPlaceOnAppend(mode, source.count, scaled, virtualizer)
  useWheelInVirtualPixels(element, scaled)
  // In this order: a request made with a change of mode (a failed verification clears the filters
  // and points at an entry) lands after the new mode's scroll to the top.
  useTopOnModeChange(mode, scaled)
  useScrollRequests(source, scaled)

  // Stable, so rows that did not change skip their redraw (AuditRow is memoized).
  const open = useCallback((entry: AuditEntry) => {
    useAudit.getState().select(entry.seq, entry, true)
    document.getElementById('audit-grid')?.focus({ preventScroll: true })
  }, [])

  const onScroll = () => {
    const el = element.current
    const s = scaled.current
    if (!el || !s) return
    setAtTop(el.scrollTop < 2)
    // Past the browser's height cap the rows follow the scroll between renders (see audit/scroll.ts).
    if (s.ratio !== 1 && windowEl.current) windowEl.current.style.top = `${s.realTop(firstStartRef.current)}px`
  }

  const moveTo = (index: number) => {
    const target = Math.max(0, Math.min(source.count - 1, index))
    const seq = source.seqAt(target)
    if (seq === undefined) return
    select(seq, source.entryAt(target) ?? null)
    const s = scaled.current
    if (!s) return
    const top = target * ROW_HEIGHT
    if (top < s.scrollTop) s.scrollTop = top
    else if (top + ROW_HEIGHT > s.scrollTop + s.clientHeight) s.scrollTop = top + ROW_HEIGHT - s.clientHeight
  }

  const onKeyDown = (event: React.KeyboardEvent) => {
    const current = selectedSeq === null ? undefined : source.indexOf(selectedSeq)
    // With nothing selected yet, the first key lands on the first row in view.
    const from = current ?? (items.find((item) => item.start >= virtualizer.scrollOffset!)?.index ?? 0) - 1
    const page = Math.max(1, Math.floor((scaled.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 1)
    const moves: Record<string, () => void> = {
      ArrowDown: () => moveTo(from + 1),
      ArrowUp: () => moveTo(current === undefined ? from + 1 : from - 1),
      PageDown: () => moveTo(from + page),
      PageUp: () => moveTo(from - page),
      Home: () => moveTo(0),
      End: () => moveTo(source.count - 1),
      Enter: () => {
        if (current === undefined) moveTo(from + 1)
        setDetailOpen(true)
      },
    }
    const move = moves[event.key]
    if (!move || event.altKey || event.ctrlKey || event.metaKey) return
    event.preventDefault()
    move()
  }

  const selectedIndex = selectedSeq === null ? undefined : source.indexOf(selectedSeq)
  const drawn = selectedIndex !== undefined && items.length > 0 && selectedIndex >= items[0].index && selectedIndex <= items[items.length - 1].index
  const activeRow = drawn && source.entryAt(selectedIndex) ? `audit-row-${selectedSeq}` : undefined
  return (
    <div className="audit-table-wrap">
      <NewEntriesPill mode={mode} />
      <div
        id="audit-grid"
        className="audit-table"
        role="grid"
        aria-label={mode === 'review' ? 'Entries of the bundle, newest first' : 'Audit entries, newest first'}
        aria-rowcount={source.count + 1}
        aria-activedescendant={activeRow}
        tabIndex={0}
        data-testid="audit-table"
        data-mode={mode}
        data-stale={stale || undefined}
        aria-busy={loading}
        onKeyDown={onKeyDown}
      >
        <div className="audit-row audit-head" role="row" aria-rowindex={1}>
          {COLUMNS.map((column) => (
            <span key={column} role="columnheader" className={`audit-col-${column.toLowerCase()}`}>
              {column}
            </span>
          ))}
        </div>
        {/* Not a tab stop of its own: the grid takes the keyboard, and moves the selection. */}
        <div ref={element} className="audit-scroll" onScroll={onScroll} tabIndex={-1}>
          <div className="audit-spacer" style={{ height: realHeightOf(virtualHeight) }}>
            <div ref={windowEl} className="audit-window" style={{ top: scaled.current ? scaled.current.realTop(firstStart) : firstStart }} role="rowgroup">
              {items.map((item) => {
                const seq = source.seqAt(item.index)
                return (
                  <AuditRow
                    key={item.key}
                    index={item.index}
                    offset={item.start - firstStart}
                    seq={seq}
                    entry={source.entryAt(item.index)}
                    selected={seq !== undefined && seq === selectedSeq}
                    flagged={seq !== undefined && seq === flaggedSeq}
                    onOpen={open}
                  />
                )
              })}
            </div>
          </div>
          <EmptyState mode={mode} count={source.count} />
        </div>
      </div>
      <TableFooter mode={mode} />
    </div>
  )
}

/** The rows of the current mode. Live rows read the page cache as they render, so they redraw when pages arrive. */
function useRowSource(mode: AuditMode): RowSource {
  const size = useAudit((s) => s.status?.size ?? 0)
  const results = useAudit((s) => s.results)
  const reviewRows = useAudit((s) => s.reviewRows)
  useAudit((s) => s.pagesVersion)
  const loadMore = useAudit((s) => s.loadMore)
  return useMemo(() => {
    if (mode === 'review') return listRows(reviewRows)
    if (mode === 'filtered') return listRows(results?.rows ?? [], () => void loadMore())
    return liveRows(size, livePages)
  }, [mode, reviewRows, results, size, loadMore])
}

/**
 * New entries go on top of a newest-first table. Scrolled to the top, the user sees them arrive; scrolled
 * anywhere else, the rows they are reading must not move, so the scroll offset grows with the list.
 */
function useKeepPlaceOnAppend(mode: AuditMode, count: number, scaled: React.RefObject<ScaledScroll | null>, virtualizer: { scrollOffset: number | null }) {
  const before = useRef({ mode, count })
  const [, redraw] = useReducer((n: number) => n + 1, 0)
  useLayoutEffect(() => {
    const added = count - before.current.count
    const sameLog = mode === 'live' && before.current.mode === 'live'
    before.current = { mode, count }
    const s = scaled.current
    if (!s || !sameLog || added <= 0 || useAudit.getState().atTop) return
    // Not the virtualizer's offset: a scroll just written (to a flagged entry, say) may not have reached it yet.
    const offset = s.offsetBeforeResize + added * ROW_HEIGHT
    s.scrollTop = offset
    // Draw the rows at the new offset now, not one frame later when the scroll event arrives.
    virtualizer.scrollOffset = offset
    redraw()
  }, [mode, count, scaled, virtualizer])
}

function useWheelInVirtualPixels(element: React.RefObject<HTMLDivElement | null>, scaled: React.RefObject<ScaledScroll | null>) {
  useEffect(() => {
    const el = element.current
    if (!el) return
    // Not React's onWheel: that listener is passive and cannot keep the browser from scrolling.
    const onWheel = (event: WheelEvent) => scaled.current?.wheel(event)
    el.addEventListener('wheel', onWheel, { passive: false })
    return () => el.removeEventListener('wheel', onWheel)
  }, [element, scaled])
}

/** Another list (the log, results, a bundle) starts at its top. */
function useTopOnModeChange(mode: AuditMode, scaled: React.RefObject<ScaledScroll | null>) {
  const before = useRef(mode)
  useLayoutEffect(() => {
    if (before.current !== mode && scaled.current) scaled.current.element.scrollTop = 0
    before.current = mode
  }, [mode, scaled])
}

/** Scroll where the store asks: to the top (new results, "N new entries"), or to an entry (a failed verification). */
function useScrollRequests(source: RowSource, scaled: React.RefObject<ScaledScroll | null>) {
  const request = useAudit((s) => s.scrollRequest)
  useLayoutEffect(() => {
    const s = scaled.current
    if (!request || !s) return
    if (request.to === 'top') {
      s.element.scrollTop = 0
      return
    }
    const index = source.indexOf(request.seq)
    if (index !== undefined) s.scrollTop = Math.max(0, index * ROW_HEIGHT - s.clientHeight / 2 + ROW_HEIGHT / 2)
    // Only a new request scrolls; the source it was made for has already rendered with it.
  }, [request?.nonce])
}

function NewEntriesPill({ mode }: { mode: AuditMode }) {
  const unseen = useAudit((s) => s.unseen)
  const atTop = useAudit((s) => s.atTop)
  const showNewest = useAudit((s) => s.showNewest)
  if (unseen === 0 || mode === 'review' || (mode === 'live' && atTop)) return null
  const entries = `${unseen.toLocaleString()} new ${unseen === 1 ? 'entry' : 'entries'}`
  return (
    <button type="button" className="audit-pill" onClick={showNewest} data-testid="audit-new-entries">
      {mode === 'live' ? `↑ ${entries}` : `${entries} in the log · Refresh`}
    </button>
  )
}

function EmptyState({ mode, count }: { mode: AuditMode; count: number }) {
  const results = useAudit((s) => s.results)
  const statusLoaded = useAudit((s) => s.status !== null)
  const clearFilters = useAudit((s) => s.clearFilters)
  if (count > 0) return null
  if (mode === 'live')
    return <p className="audit-empty">{statusLoaded ? 'The audit log is empty. Every operation will be recorded here.' : 'Reading the audit log…'}</p>
  if (mode === 'review') return <p className="audit-empty">This bundle holds no entries.</p>
  if (!results || results.loading) return <p className="audit-empty">Searching…</p>
  if (results.error) return <p className="audit-empty error-text">The search failed: {results.error}</p>
  return (
    <div className="audit-empty">
      <p>No entry matches these filters.</p>
      <button type="button" className="btn btn-small" onClick={clearFilters}>
        Clear filters
      </button>
    </div>
  )
}
