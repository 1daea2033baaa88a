/**
 * One slice of a live log's verification, small enough to hand to a worker thread: read the entries
 * of [from, to) from the database, rehash each, and fold them into the Merkle subtrees of that range.
 *
 * Ranges start at a multiple of a power of two, so the subtrees a range yields slot straight into the
 * whole tree: the caller joins the slices' borders in order and gets the root at any size, including
 * the sizes of signed heads that fall inside a slice ("cuts").
 */
import type Database from 'better-sqlite3'
import { canonicalEntry, type AuditEntry } from './canonical'
import { leafHashOfText, nodeHash } from './merkle'

/** A tree's right border: its complete subtrees' roots, largest (leftmost) first. */
export type Border = { level: number; hash: Buffer }[]

export interface ScanTask {
  from: number
  to: number
  /** Tree sizes in (from, to] whose border the caller needs (signed heads). */
  cuts: number[]
  /**
   * Naming pass: compare each entry's hash with the leaf recorded when it was appended, and report
   * the first that differs, instead of building subtrees.
   */
  compareRecorded?: boolean
  /**
   * Let SQLite write each entry's canonical text (json_quote is byte-identical to JSON.stringify for
   * text) instead of building it here: about a third of the work. Only ever trusted to say "all is
   * well": any mismatch is re-examined with the canonical form built in JavaScript (canonical.ts).
   */
  textFromSql?: boolean
}

export interface ScanProblem {
  seq: number
  message: string
}

export interface ScanResult {
  /** The border of the range's own leaves (a single node when the range is a full aligned block). */
  end: Border
  cuts: [size: number, border: Border][]
  /** How many entries were hashed before stopping. */
  scanned: number
  problem?: ScanProblem
  /** Naming pass: the first entry whose hash differs from the one recorded at append time. */
  changedSeq?: number
}

const ENTRY_COLUMNS = 'e.seq, e.time, e.actor, e.action, e.target, e.intent_id, e.safety, e.outcome, e.details'

// canonicalEntry() in SQL. The table is STRICT, so the types hold; if a hand-edited file broke them,
// NULL (no leaf) sends the range to the exact pass.
const CANONICAL_TEXT_SQL = `CASE WHEN typeof(e.seq) = 'integer' AND typeof(e.time) = 'text' AND typeof(e.actor) = 'text' AND typeof(e.action) = 'text'
  AND typeof(e.target) = 'text' AND typeof(e.intent_id) IN ('text', 'null') AND typeof(e.safety) IN ('text', 'null')
  AND typeof(e.outcome) = 'text' AND typeof(e.details) = 'text'
THEN '[' || e.seq || ',' || json_quote(e.time) || ',' || json_quote(e.actor) || ',' || json_quote(e.action) || ',' || json_quote(e.target)
  || ',' || json_quote(e.intent_id) || ',' || json_quote(e.safety) || ',' || json_quote(e.outcome) || ',' || e.details || ']' END`

export function scanRange(db: Database.Database, task: ScanTask): ScanResult {
  return task.textFromSql && !task.compareRecorded ? scanSqlText(db, task) : scanEntries(db, task)
}

/** The fast path: one text column per row, and the sequence checked by the rowid index alone. */
function scanSqlText(db: Database.Database, task: ScanTask): ScanResult {
  const span = db.prepare('SELECT COUNT(*), MIN(seq), MAX(seq) FROM audit_entries WHERE seq >= ? AND seq < ?').raw().get(task.from, task.to) as [number, number | null, number | null]
  const builder = new RangeBuilder(task)
  if (span[0] !== task.to - task.from || span[1] !== task.from || span[2] !== task.to - 1) {
    // Something is missing or out of place: the exact pass names it.
    return builder.result({ seq: task.from, message: `the entries from #${task.from} to #${task.to - 1} are not all there` })
  }
  const texts = db.prepare(`SELECT ${CANONICAL_TEXT_SQL} FROM audit_entries e WHERE e.seq >= ? AND e.seq < ? ORDER BY e.seq`).pluck().iterate(task.from, task.to) as IterableIterator<string | null>
  for (const text of texts) builder.add(text === null ? NO_LEAF : leafHashOfText(text))
  return builder.result()
}

/** The exact path: each entry read field by field and put in canonical form by canonical.ts. */
function scanEntries(db: Database.Database, task: ScanTask): ScanResult {
  const sql = task.compareRecorded
    ? `SELECT ${ENTRY_COLUMNS}, n.hash FROM audit_entries e LEFT JOIN audit_nodes n ON n.level = 0 AND n.idx = e.seq WHERE e.seq >= ? AND e.seq < ? ORDER BY e.seq`
    : `SELECT ${ENTRY_COLUMNS} FROM audit_entries e WHERE e.seq >= ? AND e.seq < ? ORDER BY e.seq`
  const rows = db.prepare(sql).raw().iterate(task.from, task.to) as IterableIterator<unknown[]>
  const builder = new RangeBuilder(task)
  for (const r of rows) {
    const seq = r[0] as number
    const expected = builder.next
    if (seq !== expected) {
      return builder.result({
        seq: expected,
        message: seq > expected ? `entry #${expected} is missing (deleted?): the next entry is #${seq}` : `entry #${seq} appears again after #${expected - 1} (rows reordered or duplicated)`,
      })
    }
    const leaf = leafHashOfText(canonicalEntry(toEntry(r)))
    if (task.compareRecorded) {
      const recorded = r[9] as Buffer | null
      if (!recorded || !recorded.equals(leaf)) return builder.result(undefined, seq)
      builder.skip()
    } else {
      builder.add(leaf)
    }
  }
  if (builder.next < task.to) return builder.result({ seq: builder.next, message: `entry #${builder.next} is missing (deleted?): the log ends before it` })
  return builder.result()
}

/** Folds a range's leaves into its border, noting the border at each wanted cut. */
class RangeBuilder {
  private readonly border: Border = []
  private readonly cuts: ScanResult['cuts'] = []
  private readonly wanted: number[]
  private nextCut = 0
  next: number

  constructor(private readonly task: ScanTask) {
    this.next = task.from
    this.wanted = [...task.cuts].sort((a, b) => a - b)
  }

  add(leaf: Buffer): void {
    pushLeaf(this.border, leaf)
    this.next++
    while (this.nextCut < this.wanted.length && this.wanted[this.nextCut] === this.next) {
      this.cuts.push([this.next, this.border.slice()])
      this.nextCut++
    }
  }

  skip(): void {
    this.next++
  }

  result(problem?: ScanProblem, changedSeq?: number): ScanResult {
    return {
      end: this.border,
      cuts: this.cuts,
      scanned: this.next - this.task.from,
      ...(problem ? { problem } : {}),
      ...(changedSeq !== undefined ? { changedSeq } : {}),
    }
  }
}

const NO_LEAF = Buffer.alloc(32)

function toEntry(r: unknown[]): AuditEntry {
  return { seq: r[0], time: r[1], actor: r[2], action: r[3], target: r[4], intentId: r[5], safety: r[6], outcome: r[7], details: r[8] } as AuditEntry
}

/** Add a leaf to a border, merging equal-sized subtrees (RFC 6962 §2.1). */
export function pushLeaf(border: Border, leaf: Buffer): void {
  pushNode(border, 0, leaf)
}

/** Add a complete subtree that starts right after the border's last leaf and is no larger than its smallest subtree. */
export function pushNode(border: Border, level: number, hash: Buffer): void {
  while (border.length > 0 && border[border.length - 1].level === level) {
    hash = nodeHash(border.pop()!.hash, hash)
    level++
  }
  border.push({ level, hash })
}

/** The root of a tree given as consecutive complete subtrees, leftmost first: fold from the right. */
export function foldRoot(parts: Border, emptyRoot: Buffer): Buffer {
  if (parts.length === 0) return emptyRoot
  let hash = parts[parts.length - 1].hash
  for (let i = parts.length - 2; i >= 0; i--) hash = nodeHash(parts[i].hash, hash)
  return hash
}
