/**
 * Pages of the whole audit log, fetched by position as the table scrolls.
 *
 * Entries are append-only and never change, so a page fetched once stays true forever: only the
 * newest page can still grow. That makes a plain cache by page number safe; it is bounded (least
 * recently used pages go first) so scrolling through a million entries does not keep them all.
 */
import type { AuditEntry } from '../../src-main/api/contract'
import { api } from '../api/client'

export const PAGE_SIZE = 200
/** 300 pages of 200: 60 000 entries, a few tens of MB at most. */
const MAX_PAGES = 300
/** Dragging the scroll bar across a million rows wants hundreds of pages; only the latest few matter. */
const MAX_IN_FLIGHT = 4
const RETRY_AFTER_MS = 2000

export class PageCache {
  private readonly pages = new Map<number, AuditEntry[]>()
  private readonly inFlight = new Set<number>()
  private readonly failedAt = new Map<number, number>()
  /** The pages the table shows now, nearest first; replaced on every request, so stale wishes lapse. */
  private wanted: number[] = []
  private size = 0
  private readonly listeners = new Set<() => void>()

  /** Tell the cache how long the log is; a shorter log (a restore) means nothing cached can be trusted. */
  setSize(size: number): void {
    if (size < this.size) this.clear()
    this.size = size
  }

  clear(): void {
    this.pages.clear()
    this.failedAt.clear()
  }

  entry(seq: number): AuditEntry | undefined {
    const page = this.pages.get(pageOf(seq))
    return page?.[seq % PAGE_SIZE]
  }

  /** Fetch what is missing for seqs in [lowSeq, highSeq]; the rest of the earlier wishes are dropped. */
  request(lowSeq: number, highSeq: number): void {
    const wanted: number[] = []
    for (let page = pageOf(Math.max(0, highSeq)); page >= pageOf(Math.max(0, lowSeq)); page--) {
      const cached = this.pages.get(page)
      if (cached) this.touch(page, cached)
      if (!this.isComplete(page, cached)) wanted.push(page)
    }
    this.wanted = wanted
    this.pump()
  }

  /** Entries announced by the live tail: add them to the newest page instead of fetching it again. */
  absorb(entries: AuditEntry[]): void {
    for (const entry of entries) {
      const number = pageOf(entry.seq)
      const page = this.pages.get(number)
      if (!page) continue
      if (page.length === entry.seq % PAGE_SIZE) page.push(entry)
      else if (page.length < entry.seq % PAGE_SIZE) this.pages.delete(number) // a gap: fetch it whole later
      this.size = Math.max(this.size, entry.seq + 1)
    }
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  private isComplete(page: number, cached: AuditEntry[] | undefined): boolean {
    return !!cached && (cached.length === PAGE_SIZE || page * PAGE_SIZE + cached.length >= this.size)
  }

  private touch(page: number, entries: AuditEntry[]): void {
    this.pages.delete(page)
    this.pages.set(page, entries)
  }

  private pump(): void {
    const now = Date.now()
    for (const page of this.wanted) {
      if (this.inFlight.size >= MAX_IN_FLIGHT) return
      if (this.inFlight.has(page) || now - (this.failedAt.get(page) ?? 0) < RETRY_AFTER_MS) continue
      if (this.isComplete(page, this.pages.get(page))) continue
      void this.fetch(page)
    }
  }

  private async fetch(page: number): Promise<void> {
    this.inFlight.add(page)
    try {
      const entries = await api.call('audit.page', { fromSeq: page * PAGE_SIZE, limit: PAGE_SIZE })
      this.failedAt.delete(page)
      this.touch(page, entries)
      while (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value!)
      for (const listener of this.listeners) listener()
    } catch (err) {
      // The row keeps its placeholder; the next scroll (or the retry below) asks again.
      this.failedAt.set(page, Date.now())
      console.warn(`could not read audit entries from #${page * PAGE_SIZE}`, err)
      setTimeout(() => this.pump(), RETRY_AFTER_MS)
    } finally {
      this.inFlight.delete(page)
      this.pump()
    }
  }
}

const pageOf = (seq: number) => Math.floor(seq / PAGE_SIZE)

/** The one cache of this window: it outlives the view, so coming back to Audit is instant. */
export const livePages = new PageCache()
