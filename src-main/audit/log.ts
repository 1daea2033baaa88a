import type Database from 'better-sqlite3'
import type { Store } from '../store'
import { raiseHistoryMark } from '../store'
import { canonicalEntry, canonicalJson, SAFETY_LEVELS, type AuditEntry, type SafetyLevel } from './canonical'
import { signCheckpoint, type LogKey } from './checkpoint'
import { consistencyProof, inclusionProof, leafHashOfText, MerkleAccumulator } from './merkle'
import { redact } from '../redact'
import { AUDIT_MIGRATIONS } from './schema'

export interface AppendInput {
  actor: string
  action: string
  target?: string
  intentId?: string | null
  safety?: SafetyLevel | null
  outcome: string
  /** Any JSON-able value; secrets are redacted before anything is stored. */
  details?: unknown
}

export interface SignedHead {
  id: number
  size: number
  rootHash: string
  keyFingerprint: string
  note: string
  madeAt: string
  reason: string
}

export interface AuditFilter {
  from?: string
  to?: string
  actor?: string
  action?: string
  safety?: SafetyLevel
  outcome?: string
  /** Full-text query over action, target and details (FTS5 syntax; plain words are AND-ed). */
  text?: string
}

type EntryRow = [number, string, string, string, string, string | null, string | null, string, string, Buffer]

const LIMITS = { actor: 200, action: 200, target: 1000, outcome: 100, intentId: 200, details: 64 * 1024 }

export class AuditInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AuditInputError'
  }
}

/** The log cannot take an entry (it is damaged, or the write failed): the change it would record is not made. */
export class AuditWriteError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AuditWriteError'
  }
}

/**
 * The append-only audit log. Each entry is a leaf of an RFC 6962 Merkle tree; the tree's head is
 * signed with the installation's ML-DSA key at intervals, on demand and at shutdown.
 */
export class AuditLog {
  private readonly db: Database.Database
  private tree: MerkleAccumulator
  /** Entry times never go backwards (see write), so a time range is a range of sequence numbers. */
  private lastTime: string
  private readonly firstSeqFrom: Database.Statement
  private readonly lastSeqUpTo: Database.Statement
  private readonly lastSeq: Database.Statement
  private readonly insertEntry: Database.Statement
  private readonly insertNode: Database.Statement
  private queue: { input: AppendInput; resolve(e: AuditEntry): void; reject(e: unknown): void }[] = []
  private flushScheduled = false
  private readonly listeners = new Set<(entries: AuditEntry[]) => void>()
  /** Why the log cannot be appended to (entries were removed), found when catchUp reloads the tree. */
  private damage: string | null = null
  private dataVersion: Database.Statement | undefined
  private seenVersion = -1
  /** Entries appended inside an outer appendWith: listeners hear of them only once it commits. */
  private uncommitted: AuditEntry[] | null = null
  private readonly home: string

  constructor(
    store: Store,
    private readonly key: LogKey,
  ) {
    store.migrate('audit', AUDIT_MIGRATIONS)
    // Restoring a backup must never roll the audit history back.
    store.preserveOnRestore(['audit_entries', 'audit_nodes', 'audit_heads', 'audit_keys', 'audit_fts'])
    this.db = store.db
    this.home = store.home
    this.insertEntry = this.db.prepare(
      'INSERT INTO audit_entries (seq, time, actor, action, target, intent_id, safety, outcome, details, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    this.insertNode = this.db.prepare('INSERT OR REPLACE INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)')
    this.db
      .prepare('INSERT OR IGNORE INTO audit_keys (fingerprint, origin, public_key, created_at) VALUES (?, ?, ?, ?)')
      .run(key.fingerprint, key.origin, Buffer.from(key.publicKey), new Date().toISOString())
    this.tree = this.loadTree()
    this.lastTime = (this.db.prepare('SELECT time FROM audit_entries ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined) ?? ''
    this.lastSeq = this.db.prepare('SELECT MAX(seq) FROM audit_entries').pluck()
    this.firstSeqFrom = this.db.prepare('SELECT seq FROM audit_entries WHERE time >= ? ORDER BY time, seq LIMIT 1').pluck()
    this.lastSeqUpTo = this.db.prepare('SELECT seq FROM audit_entries WHERE time <= ? ORDER BY time DESC, seq DESC LIMIT 1').pluck()
  }

  get size(): number {
    return this.tree.size
  }

  get origin(): string {
    return this.key.origin
  }

  get keyFingerprint(): string {
    return this.key.fingerprint
  }

  rootHash(): Buffer {
    return this.tree.root()
  }

  /** Called with every batch of entries once it is committed (the UI's live tail). */
  onAppend(listener: (entries: AuditEntry[]) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  /** Why no entry can be appended (entries were removed), or null when the log is whole as far as a cheap check sees. */
  get damaged(): string | null {
    this.catchUp()
    return this.damage
  }

  /** Append one entry in its own transaction: when this returns, the entry is on disk. */
  appendNow(input: AppendInput): AuditEntry {
    return this.appendBatch([input])[0]
  }

  /** Append several entries in one transaction (all or none). */
  appendBatch(inputs: AppendInput[]): AuditEntry[] {
    const prepared = inputs.map(validate)
    return this.commit(
      () => undefined,
      () => prepared,
    ).entries
  }

  /**
   * Run a change of the database and append the entries that record it in one transaction: both are
   * committed, or neither is. The log's health is checked before the change runs, so a change whose
   * entry cannot be written is not made. `entriesFor` sees the change's result.
   */
  appendWith<T>(change: () => T, entriesFor: (result: T) => AppendInput[]): { result: T; entries: AuditEntry[] } {
    return this.commit(change, (result) => entriesFor(result).map(validate))
  }

  private commit<T>(change: () => T, entriesFor: (result: T) => Prepared[]): { result: T; entries: AuditEntry[] } {
    const startSize = this.tree.size
    const outermost = !this.db.inTransaction
    if (outermost) this.uncommitted = []
    let out: { result: T; entries: AuditEntry[] }
    try {
      // IMMEDIATE takes the write lock before reading: another process (a `dwcp` command beside the
      // app) may have appended since, and the tree must continue from what is on disk. Nested inside
      // another transaction this is a savepoint, committed or rolled back with the outer one.
      out = this.db
        .transaction(() => {
          this.catchUp()
          if (this.damage) throw new AuditWriteError(`the audit log is damaged: ${this.damage}. Run \`dwcp audit verify\` for details`)
          const result = change()
          return { result, entries: entriesFor(result).map((p) => this.write(p)) }
        })
        .immediate()
    } catch (err) {
      // Rolled back: bring the in-memory tree back to what is on disk, and tell no listener.
      if (this.tree.size !== startSize) this.tree = this.loadTree()
      if (outermost) this.uncommitted = null
      throw err
    }
    if (this.uncommitted && !outermost) {
      this.uncommitted.push(...out.entries)
      return out
    }
    const committed = outermost ? [...(this.uncommitted ?? []), ...out.entries] : out.entries
    if (outermost) this.uncommitted = null
    if (committed.length === 0) return out
    // Inside a transaction this log did not open, the mark waits for the next append after its commit.
    if (!this.db.inTransaction) raiseHistoryMark(this.home, this.tree.size, this.tree.root().toString('base64'))
    for (const listener of this.listeners) listener(committed)
    return out
  }

  /**
   * Append with group commit: entries queued in the same tick share one transaction. The promise
   * resolves once the entry is committed, so a caller that awaited it can rely on it after a crash.
   */
  append(input: AppendInput): Promise<AuditEntry> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject })
      if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  private flush(): void {
    this.flushScheduled = false
    const batch = this.queue
    this.queue = []
    const valid: typeof batch = []
    for (const item of batch) {
      try {
        validate(item.input)
        valid.push(item)
      } catch (err) {
        item.reject(err)
      }
    }
    if (valid.length === 0) return
    try {
      const entries = this.appendBatch(valid.map((v) => v.input))
      valid.forEach((v, i) => v.resolve(entries[i]))
    } catch (err) {
      for (const v of valid) v.reject(err)
    }
  }

  private write(p: Prepared): AuditEntry {
    // If the clock steps back, entries keep the last time written: the log's order is its truth.
    const now = new Date().toISOString()
    if (now > this.lastTime) this.lastTime = now
    const entry: AuditEntry = { seq: this.tree.size, time: this.lastTime, ...p }
    const leaf = leafHashOfText(canonicalEntry(entry))
    this.insertEntry.run(entry.seq, entry.time, entry.actor, entry.action, entry.target, entry.intentId, entry.safety, entry.outcome, entry.details, leaf)
    for (const node of this.tree.append(leaf)) this.insertNode.run(node.level, node.index, node.hash)
    return entry
  }

  /**
   * Continue from what is on disk when other processes appended entries (the app and the CLI share
   * one database). Cheap when nothing changed: one lookup of the largest sequence number.
   */
  catchUp(): void {
    const last = this.lastSeq.get() as number | null
    // Another connection's commit (a CLI beside the app, or someone with sqlite3) is when rows could
    // have gone missing: only then is the count checked, so a quiet log pays one lookup per append.
    const version = (this.dataVersion ??= this.db.prepare('PRAGMA data_version').pluck()).get() as number
    if ((last ?? -1) + 1 === this.tree.size && !this.damage && version === this.seenVersion) return
    this.seenVersion = version
    this.tree = this.loadTree()
    // The tree holds as many leaves as there are rows; when the last row's number says more, rows
    // were removed from the middle (only someone bypassing the triggers can): no entry may follow.
    this.damage = (last ?? -1) + 1 === this.tree.size ? null : `it holds ${this.tree.size} entries, but the last is #${last}, so ${(last ?? -1) + 1 - this.tree.size} were removed`
    const time = this.db.prepare('SELECT time FROM audit_entries ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined
    if (time && time > this.lastTime) this.lastTime = time
  }

  private loadTree(): MerkleAccumulator {
    const size = (this.db.prepare('SELECT COUNT(*) AS n FROM audit_entries').get() as { n: number }).n
    return MerkleAccumulator.fromSubtreeRoots(size, (level, index) => this.node(level, index))
  }

  /** Prepared once: proofs for an export look up nodes hundreds of times per entry. */
  private nodeLookup: Database.Statement | undefined

  private node(level: number, index: number): Buffer {
    this.nodeLookup ??= this.db.prepare('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?')
    const row = this.nodeLookup.get(level, index) as { hash: Buffer } | undefined
    if (!row) throw new Error(`the audit log's Merkle node ${level}/${index} is missing: run \`dwcp audit verify\``)
    return row.hash
  }

  // -------------------------------------------------------------------------------------------
  // Signed heads

  /** Sign the current head (unless the latest signed head already covers it). */
  signHead(reason: string, force = false): SignedHead {
    return this.db.transaction(() => this.signHeadNow(reason, force)).immediate()
  }

  private signHeadNow(reason: string, force: boolean): SignedHead {
    this.catchUp()
    const latest = this.latestHead()
    if (latest && latest.size === this.tree.size && !force) return latest
    const root = this.tree.root()
    const note = signCheckpoint({ origin: this.key.origin, size: this.tree.size, rootHash: root }, this.key)
    const madeAt = new Date().toISOString()
    const id = Number(
      this.db
        .prepare('INSERT INTO audit_heads (size, root, key_fingerprint, note, made_at, reason) VALUES (?, ?, ?, ?, ?, ?)')
        .run(this.tree.size, root, this.key.fingerprint, note, madeAt, reason).lastInsertRowid,
    )
    return { id, size: this.tree.size, rootHash: root.toString('base64'), keyFingerprint: this.key.fingerprint, note, madeAt, reason }
  }

  heads(): SignedHead[] {
    const rows = this.db.prepare('SELECT id, size, root, key_fingerprint, note, made_at, reason FROM audit_heads ORDER BY id').all() as HeadRow[]
    return rows.map(toHead)
  }

  latestHead(): SignedHead | undefined {
    const row = this.db.prepare('SELECT id, size, root, key_fingerprint, note, made_at, reason FROM audit_heads ORDER BY id DESC LIMIT 1').get() as HeadRow | undefined
    return row ? toHead(row) : undefined
  }

  /** Public keys that signed heads of this log, by fingerprint. */
  publicKeys(): Map<string, { origin: string; publicKey: Uint8Array }> {
    const rows = this.db.prepare('SELECT fingerprint, origin, public_key FROM audit_keys').all() as { fingerprint: string; origin: string; public_key: Buffer }[]
    return new Map(rows.map((r) => [r.fingerprint, { origin: r.origin, publicKey: new Uint8Array(r.public_key) }]))
  }

  // -------------------------------------------------------------------------------------------
  // Proofs

  /** `memo`: see merkle.ts inclusionProof (one map per tree size). */
  inclusionProof(seq: number, treeSize = this.tree.size, memo?: Map<string, Buffer>): Buffer[] {
    if (!Number.isInteger(seq) || seq < 0 || seq >= treeSize || treeSize > this.tree.size) {
      throw new AuditInputError(`no entry #${seq} in a tree of ${treeSize} entries`)
    }
    return inclusionProof(seq, treeSize, (level, index) => this.node(level, index), memo)
  }

  consistencyProof(size1: number, size2: number): Buffer[] {
    if (!(Number.isInteger(size1) && Number.isInteger(size2) && size1 > 0 && size1 <= size2 && size2 <= this.tree.size)) {
      throw new AuditInputError(`no consistency proof from ${size1} to ${size2} entries (the log has ${this.tree.size})`)
    }
    return consistencyProof(size1, size2, (level, index) => this.node(level, index))
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  entry(seq: number): AuditEntry | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM audit_entries WHERE seq = ?`).raw().get(seq) as EntryRow | undefined
    return row ? fromRow(row) : undefined
  }

  /** Entries in seq order from `fromSeq` (inclusive), or newest first when `descending`. */
  page(fromSeq: number, limit: number, descending = false): AuditEntry[] {
    const sql = descending
      ? `SELECT ${COLUMNS} FROM audit_entries WHERE seq <= ? ORDER BY seq DESC LIMIT ?`
      : `SELECT ${COLUMNS} FROM audit_entries WHERE seq >= ? ORDER BY seq LIMIT ?`
    return (this.db.prepare(sql).raw().all(fromSeq, limit) as EntryRow[]).map(fromRow)
  }

  /** Newest first, filtered; `beforeSeq` pages backwards. */
  query(filter: AuditFilter, limit = 100, beforeSeq?: number): AuditEntry[] {
    const { sql, params } = buildQuery(filter, this.seqBounds(filter), limit, beforeSeq)
    return (this.db.prepare(sql).raw().all(...params) as EntryRow[]).map(fromRow)
  }

  /** Every entry matching the filter, oldest first, without holding them all in memory. */
  *iterate(filter: AuditFilter = {}): IterableIterator<AuditEntry> {
    for (const { entry } of this.iterateWithLeaves(filter)) yield entry
  }

  /**
   * Like iterate, with each entry's leaf hash as recorded at append time. Read a page at a time with
   * no statement left open between pages: callers pause between entries (an export streams to disk
   * for half a minute), and while a statement is open every write on this connection fails, the
   * head-signing timer's included ("This database connection is busy executing a query").
   */
  *iterateWithLeaves(filter: AuditFilter = {}): IterableIterator<{ entry: AuditEntry; leaf: Buffer }> {
    const bounds = this.seqBounds(filter)
    for (let from = bounds.from ?? 0; ; ) {
      const { sql, params } = buildQuery(filter, { ...bounds, from }, READ_PAGE, undefined, 'ASC', true)
      const rows = this.db.prepare(sql).raw().all(...params) as EntryRow[]
      for (const row of rows) yield { entry: fromRow(row), leaf: row[9] }
      if (rows.length < READ_PAGE) return
      from = rows[rows.length - 1][0] + 1
    }
  }

  /**
   * The sequence numbers a time range covers, found in the time index in two lookups: queries then
   * walk the rowid range instead of sorting every entry in the time range.
   */
  private seqBounds(filter: AuditFilter): SeqBounds {
    return {
      ...(filter.from ? { from: (this.firstSeqFrom.get(filter.from) as number | undefined) ?? this.tree.size } : {}),
      ...(filter.to ? { to: (this.lastSeqUpTo.get(filter.to) as number | undefined) ?? -1 } : {}),
    }
  }

  /** Raw rows for verification: the stored leaf hash beside the fields it must match. */
  *rawRows(): IterableIterator<{ entry: AuditEntry; storedLeaf: Buffer }> {
    // Paged for the same reason as iterateWithLeaves.
    const page = this.db.prepare(`SELECT ${COLUMNS}, leaf_hash FROM audit_entries WHERE seq >= ? ORDER BY seq LIMIT ${READ_PAGE}`).raw()
    for (let from = 0; ; ) {
      const rows = page.all(from) as EntryRow[]
      for (const row of rows) yield { entry: fromRow(row), storedLeaf: row[9] }
      if (rows.length < READ_PAGE) return
      from = rows[rows.length - 1][0] + 1
    }
  }

  storedLeaf(seq: number): Buffer | undefined {
    return (this.db.prepare('SELECT hash FROM audit_nodes WHERE level = 0 AND idx = ?').get(seq) as { hash: Buffer } | undefined)?.hash
  }
}

const COLUMNS = 'seq, time, actor, action, target, intent_id, safety, outcome, details'
/** Rows read per statement by the iterators, which never keep a statement open between pages. */
const READ_PAGE = 1000

interface HeadRow {
  id: number
  size: number
  root: Buffer
  key_fingerprint: string
  note: string
  made_at: string
  reason: string
}

function toHead(r: HeadRow): SignedHead {
  return { id: r.id, size: r.size, rootHash: r.root.toString('base64'), keyFingerprint: r.key_fingerprint, note: r.note, madeAt: r.made_at, reason: r.reason }
}

function fromRow(r: EntryRow): AuditEntry {
  return { seq: r[0], time: r[1], actor: r[2], action: r[3], target: r[4], intentId: r[5], safety: r[6] as SafetyLevel | null, outcome: r[7], details: r[8] }
}

type Prepared = Omit<AuditEntry, 'seq' | 'time'>

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

function validate(input: AppendInput): Prepared {
  const text = (name: keyof typeof LIMITS, value: unknown, required: boolean): string => {
    if (value === undefined || value === null || value === '') {
      if (required) throw new AuditInputError(`an audit entry needs a ${name}`)
      return ''
    }
    if (typeof value !== 'string') throw new AuditInputError(`${name} must be text`)
    if (value.length > LIMITS[name]) throw new AuditInputError(`${name} is longer than ${LIMITS[name]} characters`)
    // SQLite stores UTF-8, where a lone surrogate cannot exist (it would come back as U+FFFD and no
    // longer match its leaf hash): store the replacement character from the start.
    return value.replace(LONE_SURROGATE, '\uFFFD')
  }
  if (input.safety != null && !SAFETY_LEVELS.includes(input.safety)) throw new AuditInputError(`unknown safety level: ${String(input.safety)}`)
  const details = canonicalJson(redact(input.details ?? {}))
  if (details.length > LIMITS.details) throw new AuditInputError(`details are larger than ${LIMITS.details / 1024} KiB`)
  return {
    actor: text('actor', input.actor, true),
    action: text('action', input.action, true),
    target: text('target', input.target, false),
    intentId: text('intentId', input.intentId, false) || null,
    safety: input.safety ?? null,
    outcome: text('outcome', input.outcome, true),
    details,
  }
}

interface SeqBounds {
  from?: number
  to?: number
}

function buildQuery(filter: AuditFilter, bounds: SeqBounds, limit: number, beforeSeq?: number, order: 'ASC' | 'DESC' = 'DESC', withLeaf = false): { sql: string; params: unknown[] } {
  const where: string[] = []
  const params: unknown[] = []
  const add = (clause: string, value: unknown) => {
    where.push(clause)
    params.push(value)
  }
  // Words and exact-value filters are looked up in the full-text index, walked in rowid order: FTS5
  // streams that order, so the newest matches come first without collecting every match.
  const match = ftsMatch(filter)
  if (match) add('audit_fts MATCH ?', match)
  // Unary + keeps the planner off the time index here: the sequence bounds below already narrow it.
  if (filter.from) add('+e.time >= ?', filter.from)
  if (filter.to) add('+e.time <= ?', filter.to)
  if (filter.actor) add('e.actor = ?', filter.actor)
  if (filter.action) add('e.action = ?', filter.action)
  if (filter.safety) add('e.safety = ?', filter.safety)
  if (filter.outcome) add('e.outcome = ?', filter.outcome)
  // With text, the bound must sit on the FTS rowid: FTS5 then starts its scan there instead of
  // testing every match against the joined row.
  const rowid = match ? 'audit_fts.rowid' : 'e.seq'
  if (beforeSeq !== undefined) add(`${rowid} < ?`, beforeSeq)
  if (bounds.from !== undefined) add(`${rowid} >= ?`, bounds.from)
  if (bounds.to !== undefined) add(`${rowid} <= ?`, bounds.to)
  const columns = COLUMNS.split(', ').map((c) => `e.${c}`).join(', ') + (withLeaf ? ', e.leaf_hash' : '')
  const from = match ? 'audit_fts JOIN audit_entries e ON e.seq = audit_fts.rowid' : 'audit_entries e'
  const orderBy = match ? `audit_fts.rowid ${order}` : `e.seq ${order}`
  const sql = `SELECT ${columns} FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${orderBy} LIMIT ${limit}`
  return { sql, params }
}

/**
 * The FTS5 query for a filter: its words in action, target and details, and each exact-value filter as
 * a phrase in its own column, so FTS5 intersects them all itself. The WHERE clause still checks the
 * exact values (a phrase also matches a longer value). Undefined when there is nothing to look up.
 */
function ftsMatch(filter: AuditFilter): string | undefined {
  const parts: string[] = []
  const text = filter.text?.trim()
  if (text) parts.push(`{action target details}: (${toFtsQuery(text)})`)
  for (const column of ['actor', 'action', 'safety', 'outcome'] as const) {
    const value = filter[column]
    // A value with no letters or digits has no tokens to look up: the WHERE clause alone handles it.
    if (value && /[\p{L}\p{N}]/u.test(value)) parts.push(`${column}: "${value.replace(/"/g, '""')}"`)
  }
  return parts.length ? parts.join(' AND ') : undefined
}

/**
 * Plain words become quoted phrases, so a user's search never trips over FTS5 syntax. Only the last
 * word, when it is one plain token of three or more characters, also matches as a prefix (typing
 * "deplo" finds "deploy"): prefixes of short or compound words expand to too many terms to be fast.
 */
export function toFtsQuery(text: string): string {
  const words = text.match(/[\p{L}\p{N}_.:/-]+/gu) ?? []
  if (words.length === 0) return '""'
  return words
    .map((w, i) => {
      const phrase = `"${w.replace(/"/g, '""')}"`
      return i === words.length - 1 && /^[\p{L}\p{N}]{3,}$/u.test(w) ? `${phrase}*` : phrase
    })
    .join(' ')
}
