/**
 * Where the Audit view's rows come from. Three sources behind one shape, so the table does not care:
 * the whole live log (fetched lazily by position, newest first), a filtered query (loaded as the user
 * scrolls), and a bundle opened for review (already in memory).
 */
import type { AuditEntry, AuditFilter } from '../../../src-main/api/contract'
import { api } from '../../api/client'

export const BLOCK = 200

export interface RowSource {
  count: number
  /** The entry shown at row `index`, or undefined while it loads. */
  row(index: number): AuditEntry | undefined
  /** Ask for the rows in [first, last] (visible and overscan); calls `changed` when some arrive. */
  want(first: number, last: number): void
  /** Row index of an entry, when it is part of this source. */
  indexOf(seq: number): number | undefined
  readonly hasMore: boolean
}

/** The whole log, newest first: row i shows seq = size - 1 - i, fetched in blocks of 200 by seq. */
export function liveSource(size: number, cache: Map<number, AuditEntry[]>, changed: () => void): RowSource {
  const loading = new Set<number>()
  const block = (seq: number) => Math.floor(seq / BLOCK)
  return {
    count: size,
    hasMore: false,
    row(index) {
      const seq = size - 1 - index
      return cache.get(block(seq))?.[seq % BLOCK]
    },
    want(first, last) {
      const blocks = new Set<number>()
      for (let i = first; i <= last && i < size; i++) blocks.add(block(size - 1 - i))
      for (const b of blocks) {
        const cached = cache.get(b)
        const complete = cached && (cached.length === BLOCK || b * BLOCK + cached.length >= size)
        if (complete || loading.has(b)) continue
        loading.add(b)
        void api
          .call('audit.page', { fromSeq: b * BLOCK, limit: BLOCK })
          .then((entries) => {
            cache.set(b, entries)
            changed()
          })
          .finally(() => loading.delete(b))
      }
    },
    indexOf: (seq) => (seq >= 0 && seq < size ? size - 1 - seq : undefined),
  }
}

/** A filtered query, newest first, loaded 200 at a time as the end comes into view. */
export function listSource(rows: AuditEntry[], hasMore: boolean, loadMore: () => void): RowSource {
  return {
    count: rows.length,
    hasMore,
    row: (index) => rows[index],
    want(_first, last) {
      if (hasMore && last >= rows.length - 20) loadMore()
    },
    indexOf(seq) {
      const i = rows.findIndex((r) => r.seq === seq)
      return i < 0 ? undefined : i
    },
  }
}

export async function queryPage(filter: AuditFilter, beforeSeq?: number): Promise<AuditEntry[]> {
  return api.call('audit.query', { filter, limit: BLOCK, ...(beforeSeq !== undefined ? { beforeSeq } : {}) })
}

/** Drop empty fields, so an untouched form is "no filter". */
export function cleanFilter(filter: AuditFilter): AuditFilter {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(filter)) if (typeof v === 'string' && v.trim()) out[k] = k === 'from' || k === 'to' ? new Date(v).toISOString() : v.trim()
  return out as AuditFilter
}

export const isFiltered = (filter: AuditFilter) => Object.keys(filter).length > 0
