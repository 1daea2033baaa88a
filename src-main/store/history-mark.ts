/**
 * The audit log's high-water mark: the largest size (and its root) the log has been seen at, kept in a
 * small file beside the database, outside it. A database that was damaged, emptied, deleted or
 * replaced by an older copy cannot say how long its history was; this file can, so such a database
 * is a loud error instead of a silent fresh start, and a restore cannot roll history back unnoticed.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const HISTORY_MARK_FILE = 'audit-high-water.json'

export interface HistoryMark {
  /** Entries the audit log held at least. */
  size: number
  /** Its Merkle root at that size (base64), for the record. */
  rootHash: string
  updatedAt: string
  /** Set when a restore was allowed to shorten the history: from what size, and when. */
  loweredFrom?: number
}

export function historyMarkFile(home: string): string {
  return join(home, HISTORY_MARK_FILE)
}

/** The mark, or null when there is none (a new installation, or one older than the mark). */
export function readHistoryMark(home: string): HistoryMark | null {
  const file = historyMarkFile(home)
  if (!existsSync(file)) return null
  try {
    const mark = JSON.parse(readFileSync(file, 'utf8')) as HistoryMark
    return Number.isSafeInteger(mark.size) && mark.size >= 0 ? mark : null
  } catch {
    // A torn or edited mark protects nothing; the next append writes a whole one.
    return null
  }
}

/** Raise the mark to `size`; never lowers it (another process may have appended more meanwhile). */
export function raiseHistoryMark(home: string, size: number, rootHash: string): void {
  const current = readHistoryMark(home)
  if (current && current.size >= size) return
  writeMark(home, { size, rootHash, updatedAt: new Date().toISOString() })
}

/** Set the mark to a smaller size: only a restore the user explicitly allowed to shorten history does this. */
export function lowerHistoryMark(home: string, size: number, rootHash: string, loweredFrom: number): void {
  writeMark(home, { size, rootHash, updatedAt: new Date().toISOString(), loweredFrom })
}

function writeMark(home: string, mark: HistoryMark): void {
  const file = historyMarkFile(home)
  // Written whole under a private name and renamed: a crash leaves the old mark or the new one.
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, JSON.stringify(mark) + '\n', { mode: 0o600 })
  renameSync(temp, file)
}
