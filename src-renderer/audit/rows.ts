/**
 * Where the table's rows come from. Three sources behind one shape, so the table does not care: the
 * whole live log (fetched lazily by position), the results of a filter (loaded as the end comes into
 * view), and a bundle opened for review (already in memory). All newest first.
 */
import type { AuditEntry } from '../../src-main/api/contract'
import type { PageCache } from './pages'

export interface RowSource {
  readonly count: number
  /** The seq shown at a row: known for the live log even before its entry has loaded. */
  seqAt(index: number): number | undefined
  /** The entry at a row, or undefined while it loads. */
  entryAt(index: number): AuditEntry | undefined
  /** The row of an entry, when this source holds it. */
  indexOf(seq: number): number | undefined
  /** Rows [first, last] are on screen (with overscan): fetch whatever they need. */
  show(first: number, last: number): void
}

/** The whole log: row i is seq size-1-i. */
export function liveRows(size: number, pages: PageCache): RowSource {
  return {
    count: size,
    seqAt: (index) => (index >= 0 && index < size ? size - 1 - index : undefined),
    entryAt: (index) => (index >= 0 && index < size ? pages.entry(size - 1 - index) : undefined),
    indexOf: (seq) => (seq >= 0 && seq < size ? size - 1 - seq : undefined),
    show: (first, last) => pages.request(size - 1 - last, size - 1 - first),
  }
}

/** Rows already at hand, newest first; `nearEnd` is told when the last ones come into view. */
export function listRows(rows: readonly AuditEntry[], nearEnd?: () => void): RowSource {
  return {
    count: rows.length,
    seqAt: (index) => rows[index]?.seq,
    entryAt: (index) => rows[index],
    indexOf: (seq) => descendingIndexOf(rows, seq),
    show(_first, last) {
      if (nearEnd && last >= rows.length - 40) nearEnd()
    },
  }
}

/** Binary search in rows sorted by seq, highest first. */
function descendingIndexOf(rows: readonly AuditEntry[], seq: number): number | undefined {
  let low = 0
  let high = rows.length - 1
  while (low <= high) {
    const mid = (low + high) >> 1
    const at = rows[mid].seq
    if (at === seq) return mid
    if (at > seq) low = mid + 1
    else high = mid - 1
  }
  return undefined
}
