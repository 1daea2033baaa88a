/**
 * The Audit view's state. It lives outside the view so that leaving Audit and coming back keeps the
 * filters, the selection and an open bundle, as a user expects of a tab they only looked away from.
 */
import { create } from 'zustand'
import type { AuditEntry, AuditStatus, BundleReport, EventPayload, VerifyReport } from '../../src-main/api/contract'
import { api } from '../api/client'
import { errorMessage } from '../lib/errors'
import { EMPTY_FORM, filterKey, filterOf, isFiltering, type FilterForm } from '../audit/filter'
import { livePages } from '../audit/pages'
import { reportError, reportInfo } from './toasts'

export const QUERY_PAGE = 200

/**
 * `audit.openBundle` takes at most MAX_BUNDLE_BASE64_CHARS of base64 (128 MiB, see the contract),
 * which is 96 MiB of file. Larger bundles are checked with the CLI, which reads the file where it is.
 */
export const MAX_BUNDLE_BYTES = 96 * 1024 * 1024

export type AuditMode = 'live' | 'filtered' | 'review'

export interface AuditTask {
  operation: 'verify' | 'export' | 'open' | 'sign'
  done: number
  total: number
}

export interface QueryResults {
  /** The filter these rows answer (see filterKey). */
  key: string
  rows: AuditEntry[]
  hasMore: boolean
  loading: boolean
  /** The rows still answer the previous filter while this one's first page loads. */
  stale: boolean
  error: string | null
}

export interface ExportResult {
  file: string
  entries: number
  bytes: number
  complete: boolean
}

export type BundleProblem = { kind: 'too-large'; name: string; bytes: number } | { kind: 'failed'; name: string; message: string }

/** Where the table should scroll next; the nonce makes a repeated request a new one. */
export type ScrollRequest = { to: 'top'; nonce: number } | { to: 'seq'; seq: number; nonce: number }

interface AuditState {
  status: AuditStatus | null
  form: FilterForm
  results: QueryResults | null
  review: BundleReport | null
  /** The bundle's entries, newest first like the live table. */
  reviewRows: AuditEntry[]
  selectedSeq: number | null
  /** The selected entry when known (a row not loaded yet has a seq but no entry). */
  selectedEntry: AuditEntry | null
  detailOpen: boolean
  /** The entry a failed verification points at. */
  flaggedSeq: number | null
  verdict: VerifyReport | null
  task: AuditTask | null
  exported: ExportResult | null
  /** Why a bundle could not be opened (too large, not a bundle…), shown until dismissed. */
  bundleProblem: BundleProblem | null
  /** Entries appended since the user last saw the top of the live log (or since the query ran). */
  unseen: number
  /** Whether the live table is scrolled to its top, where new entries appear. */
  atTop: boolean
  scrollRequest: ScrollRequest | null
  /** Bumped when pages of the live log arrive, so the table draws them. */
  pagesVersion: number
}

interface AuditActions {
  /** Quietly, the status is polled: a poll that fails while the link is down is not news. */
  loadStatus(options?: { quiet?: boolean }): Promise<void>
  setForm(patch: Partial<FilterForm>): void
  clearFilters(): void
  runQuery(): Promise<void>
  loadMore(): Promise<void>
  select(seq: number | null, entry?: AuditEntry | null, open?: boolean): void
  setDetailOpen(open: boolean): void
  setAtTop(atTop: boolean): void
  showNewest(): void
  received(event: EventPayload<'audit'>): void
  progressed(event: EventPayload<'audit:progress'>): void
  verify(): Promise<void>
  exportBundle(): Promise<void>
  openBundle(file: File): Promise<void>
  closeReview(): void
  sign(): Promise<void>
  dismiss(what: 'verdict' | 'exported' | 'bundleProblem'): void
}

export function modeOf(state: Pick<AuditState, 'review' | 'form'>): AuditMode {
  if (state.review) return 'review'
  return isFiltering(filterOf(state.form)) ? 'filtered' : 'live'
}

const QUERY_DEBOUNCE_MS = 250
const STATUS_REFRESH_MS = 1000
let queryTimer: ReturnType<typeof setTimeout> | undefined
let statusTimer: ReturnType<typeof setTimeout> | undefined
/** Each query run gets a number; answers to an older run (the user kept typing) are dropped. */
let queryRun = 0
let scrollNonce = 0

export const useAudit = create<AuditState & AuditActions>((set, get) => {
  const requestScroll = (request: { to: 'top' } | { to: 'seq'; seq: number }) => set({ scrollRequest: { ...request, nonce: ++scrollNonce } })

  // The root hash and latest head change with every append; the event carries neither, so re-read
  // the status at most once a second while entries stream in.
  const refreshStatusSoon = () => {
    if (statusTimer) return
    statusTimer = setTimeout(() => {
      statusTimer = undefined
      void get().loadStatus({ quiet: true })
    }, STATUS_REFRESH_MS)
  }

  livePages.onChange(() => set((s) => ({ pagesVersion: s.pagesVersion + 1 })))

  return {
    status: null,
    form: EMPTY_FORM,
    results: null,
    review: null,
    reviewRows: [],
    selectedSeq: null,
    selectedEntry: null,
    detailOpen: false,
    flaggedSeq: null,
    verdict: null,
    task: null,
    exported: null,
    bundleProblem: null,
    unseen: 0,
    atTop: true,
    scrollRequest: null,
    pagesVersion: 0,

    async loadStatus({ quiet = false } = {}) {
      try {
        const status = await api.call('audit.status', {})
        livePages.setSize(status.size)
        // An event may have announced a larger size while this call was on its way.
        set((s) => ({ status: s.status && s.status.size > status.size ? { ...status, size: s.status.size } : status }))
      } catch (err) {
        if (quiet) console.warn('could not read the audit log’s status', err)
        else reportError('Could not read the audit log’s status', err)
      }
    },

    setForm(patch) {
      set((s) => ({ form: { ...s.form, ...patch } }))
      clearTimeout(queryTimer)
      if (modeOf(get()) !== 'filtered') {
        queryRun++ // an answer still on its way is for a filter that is gone
        set({ results: null, unseen: 0 })
        return
      }
      // Typing is debounced so each key does not query a million rows; a select applies at once.
      const typed = 'text' in patch || 'actor' in patch || 'action' in patch
      queryTimer = setTimeout(() => void get().runQuery(), typed ? QUERY_DEBOUNCE_MS : 0)
    },

    clearFilters() {
      get().setForm(EMPTY_FORM)
    },

    async runQuery() {
      const filter = filterOf(get().form)
      if (!isFiltering(filter)) return
      const run = ++queryRun
      const key = filterKey(filter)
      // Keep the previous rows on screen while the new ones load: no flash of an empty table per key.
      set((s) => ({ results: { key, rows: s.results?.rows ?? [], hasMore: false, loading: true, stale: true, error: null } }))
      try {
        const rows = await api.call('audit.query', { filter, limit: QUERY_PAGE })
        if (run !== queryRun) return
        set({ results: { key, rows, hasMore: rows.length === QUERY_PAGE, loading: false, stale: false, error: null }, unseen: 0 })
        requestScroll({ to: 'top' })
      } catch (err) {
        if (run !== queryRun) return
        set({ results: { key, rows: [], hasMore: false, loading: false, stale: false, error: errorMessage(err) } })
      }
    },

    async loadMore() {
      const results = get().results
      if (!results || !results.hasMore || results.loading) return
      const run = queryRun
      const filter = filterOf(get().form)
      const last = results.rows[results.rows.length - 1]
      set({ results: { ...results, loading: true } })
      try {
        const rows = await api.call('audit.query', { filter, limit: QUERY_PAGE, beforeSeq: last.seq })
        if (run !== queryRun) return
        set((s) => ({ results: s.results && { ...s.results, rows: [...s.results.rows, ...rows], hasMore: rows.length === QUERY_PAGE, loading: false } }))
      } catch (err) {
        if (run !== queryRun) return
        set((s) => ({ results: s.results && { ...s.results, loading: false, hasMore: false, error: errorMessage(err) } }))
      }
    },

    select(seq, entry, open) {
      set((s) => ({
        selectedSeq: seq,
        selectedEntry: seq === null ? null : (entry ?? (s.selectedEntry?.seq === seq ? s.selectedEntry : null)),
        detailOpen: seq === null ? false : (open ?? s.detailOpen),
      }))
    },

    setDetailOpen(open) {
      if (get().selectedSeq !== null) set({ detailOpen: open })
    },

    setAtTop(atTop) {
      if (get().atTop === atTop) return
      set(atTop && modeOf(get()) === 'live' ? { atTop, unseen: 0 } : { atTop })
    },

    showNewest() {
      const mode = modeOf(get())
      set({ unseen: 0 })
      if (mode === 'filtered') void get().runQuery()
      else requestScroll({ to: 'top' })
    },

    received({ entries, size }) {
      livePages.absorb(entries)
      set((s) => {
        const mode = modeOf(s)
        // Rows at the top of a live table simply appear; anywhere else the user is told, not moved.
        const counts = mode === 'filtered' || (mode === 'live' && !s.atTop)
        return {
          status: s.status && size > s.status.size ? { ...s.status, size } : s.status,
          unseen: counts ? s.unseen + entries.length : s.unseen,
          pagesVersion: s.pagesVersion + 1,
        }
      })
      refreshStatusSoon()
    },

    progressed(event) {
      const task = get().task
      if (task && task.operation === event.operation) set({ task: { ...task, done: event.done, total: event.total } })
    },

    async verify() {
      if (get().task) return
      set({ task: { operation: 'verify', done: 0, total: get().status?.size ?? 0 }, verdict: null, flaggedSeq: null })
      try {
        const verdict = await api.call('audit.verify', {})
        set({ verdict })
        const seq = verdict.problem?.seq
        if (!verdict.ok && typeof seq === 'number') {
          // Show the entry where it lives: in the whole log, so a filter or a review would hide it.
          queryRun++
          set({ review: null, reviewRows: [], form: EMPTY_FORM, results: null, flaggedSeq: seq, selectedSeq: seq, selectedEntry: null, detailOpen: true })
          requestScroll({ to: 'seq', seq })
        }
      } catch (err) {
        reportError('Could not verify the audit log', err)
      } finally {
        set({ task: null })
        void get().loadStatus({ quiet: true })
      }
    },

    async exportBundle() {
      if (get().task) return
      set({ task: { operation: 'export', done: 0, total: 0 }, exported: null })
      try {
        const exported = await api.call('audit.export', { filter: filterOf(get().form) })
        set({ exported })
      } catch (err) {
        reportError('Could not export the audit log', err)
      } finally {
        set({ task: null })
      }
    },

    async openBundle(file) {
      if (get().task) return
      set({ bundleProblem: null })
      if (file.size > MAX_BUNDLE_BYTES) {
        set({ bundleProblem: { kind: 'too-large', name: file.name, bytes: file.size } })
        return
      }
      set({ task: { operation: 'open', done: 0, total: 0 } })
      try {
        const contentBase64 = await readBase64(file)
        const review = await api.call('audit.openBundle', { contentBase64, name: file.name })
        const reviewRows = [...review.entries].sort((a, b) => b.seq - a.seq)
        set({ review, reviewRows, selectedSeq: null, selectedEntry: null, detailOpen: false, flaggedSeq: null, verdict: null, exported: null })
      } catch (err) {
        set({ bundleProblem: { kind: 'failed', name: file.name, message: errorMessage(err) } })
      } finally {
        set({ task: null })
      }
    },

    closeReview() {
      set({ review: null, reviewRows: [], selectedSeq: null, selectedEntry: null, detailOpen: false })
    },

    async sign() {
      if (get().task) return
      set({ task: { operation: 'sign', done: 0, total: 0 } })
      try {
        const head = await api.call('audit.sign', {})
        set((s) => ({ status: s.status && { ...s.status, latestHead: head } }))
        reportInfo(`Signed the tree head at ${head.size.toLocaleString()} entries`)
      } catch (err) {
        reportError('Could not sign the tree head', err)
      } finally {
        set({ task: null })
        void get().loadStatus({ quiet: true })
      }
    },

    dismiss(what) {
      set({ [what]: null } as Partial<AuditState>)
    },
  }
})

/** A file's bytes as base64, read in the window (the host may be another machine). */
function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    // A data URL is "data:<type>;base64,<bytes>": keep what follows the comma.
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''))
    reader.onerror = () => reject(reader.error ?? new Error(`could not read ${file.name}`))
    reader.readAsDataURL(file)
  })
}
