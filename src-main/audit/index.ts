/**
 * Public face of the audit engine: the append-only, Merkle-hashed, signed audit log; its verification,
 * export bundles and offline review.
 */
import { openSqlite, type Store } from '../store'
import { canonicalEntry, type AuditEntry } from './canonical'
import { exportBundle, type BundleReview, type ExportResult } from './bundle'
import { verifyBundleOffThread, type BundleCheckOptions, type BundleSource } from './bundle-check'
import { loadOrCreateSigningKey, readSigningKeyFingerprint } from './keys'
import { defaultHome } from '../paths'
import { AuditLog, type AppendInput, type AuditFilter, type SignedHead } from './log'
import { leafHashOfText, MerkleAccumulator } from './merkle'
import type { VerifyReport } from './verify'
import { verifyLiveLog, type LiveVerifyInput } from './verify-live'
import type { LogKey } from './checkpoint'
import type { Logger } from '../log'

export { AuditLog, AuditInputError, AuditWriteError, toFtsQuery, type AppendInput, type AuditFilter, type SignedHead } from './log'
export { BundleError, BundleRefusedError, looksLikeBundle, type BundleReview, type ExportResult } from './bundle'
export { canonicalEntry, canonicalJson, SAFETY_LEVELS, type AuditEntry, type SafetyLevel } from './canonical'
export { redact } from '../redact'
export { AUDIT_MIGRATIONS } from './schema'
export type { VerifyReport } from './verify'
export { verifyInclusion, ProofError } from './merkle'

export interface AuditOptions {
  /** How often to sign a new head while entries arrive (default one minute; at least 100 ms). */
  headIntervalMs?: number
  /** Where a head-signing tick that could not sign says so (default: a process warning). */
  logger?: Pick<Logger, 'warn'>
  product: string
  /** Tuning of full verification (tests force worker threads on small logs). */
  verify?: Pick<LiveVerifyInput, 'rangeLevel' | 'workers'>
}

type Progress = (done: number, total: number) => void

export class AuditService {
  readonly log: AuditLog
  private readonly key: LogKey
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly store: Store,
    private readonly options: AuditOptions,
  ) {
    this.key = loadOrCreateSigningKey(store.home)
    this.log = new AuditLog(store, this.key)
    this.timer = setInterval(() => this.signOrSkip(), Math.max(100, options.headIntervalMs || 60_000))
    this.timer.unref()
  }

  /**
   * A timer callback must never throw: out of a timer, an error takes the whole process down. A tick
   * that cannot sign (the database busy, or another process holding the write lock) is skipped; the
   * next one signs everything since.
   */
  private signOrSkip(reason = 'interval'): void {
    try {
      this.log.signHead(reason)
    } catch (err) {
      const message = `audit: the ${reason} head was not signed (${(err as Error).message}); the next one will cover its entries`
      if (this.options.logger) this.options.logger.warn({ reason }, message)
      else process.emitWarning(message)
    }
  }

  /** Write one entry now (durable when this returns). Audit failures must never be silent. */
  record(input: AppendInput): AuditEntry {
    return this.log.appendNow(input)
  }

  status() {
    this.log.catchUp()
    return { size: this.log.size, rootHash: this.log.rootHash().toString('base64'), origin: this.log.origin, keyFingerprint: this.log.keyFingerprint, latestHead: this.log.latestHead() ?? null }
  }

  sign(reason = 'on demand'): SignedHead {
    return this.log.signHead(reason, true)
  }

  proof(seq: number) {
    const entry = this.log.entry(seq)
    if (!entry) throw new RangeError(`no audit entry #${seq}`)
    const head = this.log.latestHead()
    const treeSize = head && head.size > seq ? head.size : this.log.size
    const path = this.log.inclusionProof(seq, treeSize)
    const rootHash = head && head.size === treeSize ? head.rootHash : this.log.rootHash().toString('base64')
    return {
      seq,
      treeSize,
      leafHash: leafHashOfText(canonicalEntry(entry)).toString('base64'),
      rootHash,
      path: path.map((p) => p.toString('base64')),
      head: head && head.size === treeSize ? head : null,
    }
  }

  /**
   * Verify the whole log on a separate read-only connection, inside one read transaction: a
   * consistent snapshot, while appends go on through the main connection.
   */
  async verify(onProgress?: Progress): Promise<VerifyReport> {
    const db = openSqlite(this.store.file, { readonly: true, fileMustExist: true })
    try {
      db.exec('BEGIN')
      const total = (db.prepare('SELECT COUNT(*) AS n FROM audit_entries').get() as { n: number }).n
      const heads = db.prepare('SELECT id, size, root, key_fingerprint, note FROM audit_heads ORDER BY id').all() as { id: number; size: number; root: Buffer; key_fingerprint: string; note: string }[]
      const keys = db.prepare('SELECT fingerprint, origin, public_key FROM audit_keys').all() as { fingerprint: string; origin: string; public_key: Buffer }[]
      const nodeAt = db.prepare('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?').pluck()
      let expectedRoot: Buffer | undefined
      try {
        expectedRoot = MerkleAccumulator.fromSubtreeRoots(total, (level, index) => {
          const hash = nodeAt.get(level, index) as Buffer | undefined
          if (!hash) throw new Error(`Merkle node ${level}/${index} is missing`)
          return hash
        }).root()
      } catch {
        expectedRoot = undefined // the entries are checked against the signed heads alone
      }
      const report = await verifyLiveLog({
        file: this.store.file,
        total,
        heads: heads.map((h) => ({ id: h.id, size: h.size, rootHash: h.root.toString('base64'), keyFingerprint: h.key_fingerprint, note: h.note })),
        keys: new Map(keys.map((k) => [k.fingerprint, { origin: k.origin, publicKey: new Uint8Array(k.public_key) }])),
        ...(expectedRoot ? { expectedRoot } : {}),
        ...(onProgress ? { onProgress } : {}),
        ...this.options.verify,
      })
      db.exec('COMMIT')
      return report
    } finally {
      db.close()
    }
  }

  export(file: string, filter: AuditFilter, onProgress?: Progress): Promise<ExportResult> {
    return exportBundle(this.log, this.key, file, filter, this.options.product, onProgress)
  }

  /** Check a bundle, perhaps from someone else, on a worker thread: this thread keeps answering meanwhile. */
  async openBundle(source: BundleSource, onProgress?: Progress, options: Omit<BundleCheckOptions, 'onProgress'> = {}): Promise<BundleReview & { fromThisInstallation: boolean }> {
    const review = await verifyBundleOffThread(source, { ...options, ...(onProgress ? { onProgress } : {}) })
    return { ...review, fromThisInstallation: review.keyFingerprint === this.key.fingerprint }
  }

  /** Sign the final head: called when the host stops. */
  close(): void {
    clearInterval(this.timer)
    if (this.log.size > 0) this.signOrSkip('shutdown')
  }
}

/** Verify a bundle with nothing but the file: `dwcp audit verify bundle.dwcpaudit` on any machine. */
export function verifyBundleFile(file: string, onProgress?: Progress): Promise<BundleReview> {
  return verifyBundleOffThread(file, onProgress ? { onProgress } : {})
}

/** The local installation's audit key fingerprint, if there is one in the data folder. */
export function localAuditFingerprint(home = defaultHome()): string | undefined {
  return readSigningKeyFingerprint(home)
}
