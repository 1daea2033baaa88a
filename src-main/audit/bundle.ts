/**
 * Export bundles (.dwcpaudit): a self-contained, gzip-compressed JSON-lines file that an auditor can
 * verify on any machine with nothing but the `dwcp` CLI.
 *
 * Lines, in order: one `header`; the `key`s; the signed `head`s; `consistency` proofs between
 * successive heads; the `entry` lines; one signed `manifest`. A complete bundle holds every entry up to
 * its last head and is verified by recomputing the whole tree. A filtered bundle carries an inclusion
 * proof per entry against the last head, and its manifest — a checkpoint-style note signed by the
 * same key over the digest of (seq, leaf hash) of every entry — makes a removed, added or reordered
 * entry detectable.
 */
import { createHash } from 'node:crypto'
import { closeSync, createReadStream, createWriteStream, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip, gunzipSync } from 'node:zlib'
import { canonicalEntry, type AuditEntry } from './canonical'
import { restoreLogKey, signCheckpoint, verifyCheckpoint, type LogKey } from './checkpoint'
import type { AuditFilter, AuditLog, SignedHead } from './log'
import { leafHashOfText, ProofError, verifyConsistency, verifyInclusion } from './merkle'
import { verifyFullLog, type VerifyReport } from './verify'

export const BUNDLE_FORMAT = 'dwcp-audit-bundle'
export const BUNDLE_VERSION = 1
const MAX_REVIEW_ENTRIES = 10_000

interface Header {
  type: 'header'
  format: typeof BUNDLE_FORMAT
  version: number
  origin: string
  keyFingerprint: string
  exportedAt: string
  treeSize: number
  complete: boolean
  filter: AuditFilter
  product: string
}
interface KeyLine {
  type: 'key'
  fingerprint: string
  origin: string
  publicKey: string
}
interface HeadLine {
  type: 'head'
  id: number
  size: number
  rootHash: string
  keyFingerprint: string
  note: string
}
interface ConsistencyLine {
  type: 'consistency'
  from: number
  to: number
  proof: string[]
}
interface EntryLine extends AuditEntry {
  type: 'entry'
  /** Leaf hash recorded at append time (complete bundles): names a changed entry exactly. */
  leaf?: string
  proof?: string[]
}
interface ManifestLine {
  type: 'manifest'
  entryCount: number
  note: string
}
type Line = Header | KeyLine | HeadLine | ConsistencyLine | EntryLine | ManifestLine

export class BundleError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BundleError'
  }
}

const isEmptyFilter = (f: AuditFilter) => Object.values(f).every((v) => v === undefined || v === '')
const manifestOrigin = (origin: string) => `${origin}/bundle-manifest`

/** Digest over the bundle's entries: which ones, in which order, with which content. */
class EntryDigest {
  private readonly hash = createHash('sha256')
  count = 0
  add(seq: number, leaf: Buffer): void {
    this.hash.update(`${seq}:${leaf.toString('hex')}\n`)
    this.count++
  }
  digest(): Buffer {
    return this.hash.digest()
  }
}

export interface ExportResult {
  file: string
  entries: number
  bytes: number
  complete: boolean
}

export async function exportBundle(
  log: AuditLog,
  key: LogKey,
  file: string,
  filter: AuditFilter,
  product: string,
  onProgress?: (done: number, total: number) => void,
): Promise<ExportResult> {
  const head = log.signHead('export')
  const complete = isEmptyFilter(filter)
  const heads = log.heads().filter((h) => h.size <= head.size)
  const keys = log.publicKeys()
  const digest = new EntryDigest()
  const total = complete ? head.size : 0

  function* lines(): Generator<Line> {
    yield { type: 'header', format: BUNDLE_FORMAT, version: BUNDLE_VERSION, origin: key.origin, keyFingerprint: key.fingerprint, exportedAt: new Date().toISOString(), treeSize: head.size, complete, filter, product }
    for (const [fingerprint, k] of keys) yield { type: 'key', fingerprint, origin: k.origin, publicKey: Buffer.from(k.publicKey).toString('base64') }
    for (const h of heads) yield { type: 'head', id: h.id, size: h.size, rootHash: h.rootHash, keyFingerprint: h.keyFingerprint, note: h.note }
    const sizes = [...new Set(heads.map((h) => h.size))].filter((s) => s > 0).sort((a, b) => a - b)
    for (let i = 1; i < sizes.length; i++) yield { type: 'consistency', from: sizes[i - 1], to: sizes[i], proof: b64(log.consistencyProof(sizes[i - 1], sizes[i])) }
    for (const { entry, leaf } of log.iterateWithLeaves(filter)) {
      if (entry.seq >= head.size) break
      digest.add(entry.seq, leafOf(entry))
      yield complete ? { type: 'entry', ...entry, leaf: leaf.toString('base64') } : { type: 'entry', ...entry, proof: b64(log.inclusionProof(entry.seq, head.size)) }
      if (digest.count % 50_000 === 0) onProgress?.(digest.count, total)
    }
    // The same key pair signs the manifest under its own name, so a head can never pass for a manifest.
    const manifestKey = restoreLogKey(manifestOrigin(key.origin), key.publicKey, key.secretKey)
    const note = signCheckpoint({ origin: manifestKey.origin, size: digest.count, rootHash: digest.digest() }, manifestKey)
    yield { type: 'manifest', entryCount: digest.count, note }
  }

  const partial = `${file}.partial`
  try {
    // Lines are gathered into chunks of about 256 KB: one stream write per line would dominate the cost.
    const text = Readable.from((function* () {
      let chunk = ''
      for (const line of lines()) {
        chunk += JSON.stringify(line) + '\n'
        if (chunk.length > 256 * 1024) {
          yield chunk
          chunk = ''
        }
      }
      if (chunk) yield chunk
    })())
    await pipeline(text, createGzip({ level: 1 }), createWriteStream(partial, { mode: 0o644 }))
    renameSync(partial, file)
  } catch (err) {
    rmSync(partial, { force: true })
    throw err
  }
  onProgress?.(digest.count, total)
  return { file, entries: digest.count, bytes: statSync(file).size, complete }
}

export interface BundleReview {
  verdict: VerifyReport
  origin: string
  keyFingerprint: string
  complete: boolean
  exportedAt: string
  filter: AuditFilter
  entries: AuditEntry[]
  entryCount: number
}

/** Read and verify a bundle (a path, or its bytes), keeping the first entries for review. */
export async function verifyBundle(source: string | Buffer, onProgress?: (done: number, total: number) => void): Promise<BundleReview> {
  const started = performance.now()
  const reader = new BundleReader(source)
  let header: Header
  try {
    header = await reader.header()
  } catch (err) {
    if (!(err instanceof BundleError)) throw err
    const verdict = { ok: false, entries: 0, heads: 0, rootHash: '', keyFingerprints: [], problem: { seq: null, message: err.message }, durationMs: Math.round(performance.now() - started) }
    return { verdict, origin: '', keyFingerprint: '', complete: false, exportedAt: '', filter: {}, entries: [], entryCount: 0 }
  }
  const keys = new Map<string, { origin: string; publicKey: Uint8Array }>()
  const heads: HeadLine[] = []
  const consistency: ConsistencyLine[] = []
  const kept: AuditEntry[] = []
  let manifest: ManifestLine | undefined
  let entryCount = 0

  const review = (verdict: VerifyReport): BundleReview => ({
    verdict,
    origin: header.origin,
    keyFingerprint: header.keyFingerprint,
    complete: header.complete,
    exportedAt: header.exportedAt,
    filter: header.filter,
    entries: kept,
    entryCount,
  })
  /** Keys, heads and consistency proofs: gathered as they pass, before and between entries. */
  const collect = (line: Line) => {
    if (line.type === 'key') keys.set(line.fingerprint, { origin: line.origin, publicKey: new Uint8Array(Buffer.from(line.publicKey, 'base64')) })
    else if (line.type === 'head') heads.push(line)
    else if (line.type === 'consistency') consistency.push(line)
    else if (line.type !== 'entry' && line.type !== 'manifest') throw new BundleError(`unknown line type ${(line as { type: string }).type}`)
  }
  const fail = (message: string, seq: number | null = null): BundleReview =>
    review({ ok: false, entries: entryCount, heads: heads.length, rootHash: '', keyFingerprints: [...keys.keys()], problem: { seq, message }, durationMs: Math.round(performance.now() - started) })

  // Entries stream through the verifier; the other lines are collected as they pass.
  const entries = async function* (): AsyncGenerator<{ entry: AuditEntry }> {
    for await (const line of reader.rest()) {
      if (manifest) throw new BundleError('lines after the manifest: the bundle was extended after it was signed')
      if (line.type === 'manifest') manifest = line
      else if (line.type === 'entry') {
        const entry = toEntry(line)
        entryCount++
        if (kept.length < MAX_REVIEW_ENTRIES) kept.push(entry)
        yield { entry, ...(line.proof ? { proof: line.proof } : {}), ...(line.leaf ? { storedLeaf: Buffer.from(line.leaf, 'base64') } : {}) } as { entry: AuditEntry }
      } else collect(line)
    }
  }

  try {
    if (header.complete) {
      // Heads precede entries in the file, so they are known before the first entry is checked.
      await reader.peekUntilEntries(collect)
      const verdict = await verifyFullLog({ entries, total: header.treeSize, heads: heads.map(headToCheck), keys, ...(onProgress ? { onProgress } : {}) })
      if (!verdict.ok) return review({ ...verdict, entries: entryCount })
      if (verdict.entries !== header.treeSize) return fail(`the bundle says it holds ${header.treeSize} entries but has ${verdict.entries}`, verdict.entries)
      checkManifest(manifest, header, keys, reader.digest)
      return review({ ...verdict, durationMs: Math.round(performance.now() - started) })
    }
    await reader.peekUntilEntries(collect)
    return await verifyFiltered(header, reader.digest, keys, heads, consistency, entries, () => manifest, started, { review, fail }, onProgress)
  } catch (err) {
    if (err instanceof BundleError || err instanceof ProofError) return fail(err.message)
    throw err
  }
}

async function verifyFiltered(
  header: Header,
  digest: EntryDigest,
  keys: Map<string, { origin: string; publicKey: Uint8Array }>,
  heads: HeadLine[],
  consistency: ConsistencyLine[],
  entries: () => AsyncGenerator<{ entry: AuditEntry }>,
  manifest: () => ManifestLine | undefined,
  started: number,
  { review, fail }: { review: (verdict: VerifyReport) => BundleReview; fail: (message: string, seq?: number | null) => BundleReview },
  onProgress?: (done: number, total: number) => void,
): Promise<BundleReview> {
  const last = heads.filter((h) => h.size === header.treeSize).at(-1)
  if (!last) return fail(`no signed head of size ${header.treeSize}, the size the bundle claims`)
  for (const head of heads) checkHead(head, keys)
  checkConsistencyChain(heads, consistency)
  const root = Buffer.from(last.rootHash, 'base64')
  let count = 0
  let previous = -1
  for await (const item of entries()) {
    const { entry, proof } = item as { entry: AuditEntry; proof?: string[] }
    if (entry.seq <= previous) return fail(`entry #${entry.seq} comes after #${previous}: entries were reordered`, entry.seq)
    previous = entry.seq
    if (!proof) return fail(`entry #${entry.seq} has no inclusion proof`, entry.seq)
    try {
      verifyInclusion(entry.seq, header.treeSize, leafOf(entry), proof.map((p) => Buffer.from(p, 'base64')), root)
    } catch (err) {
      return fail(`entry #${entry.seq} is not in the signed log: ${(err as Error).message}`, entry.seq)
    }
    if (++count % 50_000 === 0) onProgress?.(count, 0)
  }
  checkManifest(manifest(), header, keys, digest)
  return review({ ok: true, entries: count, heads: heads.length, rootHash: last.rootHash, keyFingerprints: [...new Set(heads.map((h) => h.keyFingerprint))], durationMs: Math.round(performance.now() - started) })
}

function checkHead(head: HeadLine, keys: Map<string, { origin: string; publicKey: Uint8Array }>): void {
  const key = keys.get(head.keyFingerprint)
  if (!key) throw new BundleError(`signed head #${head.id} names a key the bundle does not hold`)
  let signed
  try {
    signed = verifyCheckpoint(head.note, key.publicKey, key.origin)
  } catch (err) {
    throw new BundleError(`signed head #${head.id} does not verify: ${(err as Error).message}`)
  }
  if (signed.size !== head.size || Buffer.from(signed.rootHash).toString('base64') !== head.rootHash) throw new BundleError(`signed head #${head.id} was altered: its size or root differs from what was signed`)
}

function checkConsistencyChain(heads: HeadLine[], consistency: ConsistencyLine[]): void {
  const rootAt = new Map(heads.map((h) => [h.size, Buffer.from(h.rootHash, 'base64')]))
  const sizes = [...rootAt.keys()].filter((s) => s > 0).sort((a, b) => a - b)
  for (let i = 1; i < sizes.length; i++) {
    const link = consistency.find((c) => c.from === sizes[i - 1] && c.to === sizes[i])
    if (!link) throw new BundleError(`no consistency proof from the head of size ${sizes[i - 1]} to the head of size ${sizes[i]}`)
    try {
      verifyConsistency(link.from, link.to, link.proof.map((p) => Buffer.from(p, 'base64')), rootAt.get(link.from)!, rootAt.get(link.to)!)
    } catch (err) {
      throw new BundleError(`the head of size ${link.to} does not extend the head of size ${link.from}: ${(err as Error).message}`)
    }
  }
}

function checkManifest(manifest: ManifestLine | undefined, header: Header, keys: Map<string, { origin: string; publicKey: Uint8Array }>, digest: EntryDigest): void {
  if (!manifest) throw new BundleError('the bundle has no signed manifest at its end: it was cut short')
  const key = keys.get(header.keyFingerprint)
  if (!key) throw new BundleError('the bundle does not hold the key it says it was signed with')
  let signed
  try {
    signed = verifyCheckpoint(manifest.note, key.publicKey, manifestOrigin(header.origin))
  } catch (err) {
    throw new BundleError(`the bundle's manifest does not verify: ${(err as Error).message}`)
  }
  if (signed.size !== digest.count || manifest.entryCount !== digest.count) throw new BundleError(`the manifest was signed over ${signed.size} entries but the bundle holds ${digest.count}: entries were removed or added`)
  if (!Buffer.from(signed.rootHash).equals(digest.digest())) throw new BundleError('the entries are not those the manifest was signed over (changed, removed, added or reordered)')
}

function headToCheck(h: HeadLine) {
  return { id: h.id, size: h.size, rootHash: h.rootHash, keyFingerprint: h.keyFingerprint, note: h.note }
}

function toEntry(line: EntryLine): AuditEntry {
  const ok =
    Number.isInteger(line.seq) &&
    typeof line.time === 'string' &&
    typeof line.actor === 'string' &&
    typeof line.action === 'string' &&
    typeof line.target === 'string' &&
    (line.intentId === null || typeof line.intentId === 'string') &&
    (line.safety === null || typeof line.safety === 'string') &&
    typeof line.outcome === 'string' &&
    typeof line.details === 'string'
  if (!ok) throw new BundleError(`entry line ${JSON.stringify(line).slice(0, 80)}… is not a well-formed entry`)
  return { seq: line.seq, time: line.time, actor: line.actor, action: line.action, target: line.target, intentId: line.intentId, safety: line.safety, outcome: line.outcome, details: line.details }
}

function leafOf(entry: AuditEntry): Buffer {
  return leafHashOfText(canonicalEntry(entry))
}

const b64 = (hashes: Buffer[]) => hashes.map((h) => h.toString('base64'))

/** Reads a bundle's lines in order, parsing each strictly, and keeps the entry digest as it goes. */
class BundleReader {
  readonly digest = new EntryDigest()
  private readonly iterator: AsyncIterator<string>
  private buffered: Line | undefined
  private lineNo = 0

  constructor(source: string | Buffer) {
    const input = typeof source === 'string' ? createReadStream(source).pipe(createGunzip()) : Readable.from([gunzipOrThrow(source)])
    this.iterator = createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]()
  }

  private async next(): Promise<Line | undefined> {
    if (this.buffered) {
      const line = this.buffered
      this.buffered = undefined
      return line
    }
    let raw: IteratorResult<string>
    try {
      raw = await this.iterator.next()
    } catch (err) {
      throw new BundleError(`the bundle cannot be read: ${(err as Error).message} (not a .dwcpaudit file, or damaged)`)
    }
    if (raw.done) return undefined
    this.lineNo++
    if (raw.value.trim() === '') return this.next()
    let line: Line
    try {
      line = JSON.parse(raw.value)
    } catch {
      throw new BundleError(`line ${this.lineNo} of the bundle is not valid JSON: it was changed or cut`)
    }
    if (!line || typeof line !== 'object' || typeof line.type !== 'string') throw new BundleError(`line ${this.lineNo} of the bundle has no type`)
    if (line.type === 'entry') this.digest.add(line.seq, leafOfLine(line))
    return line
  }

  async header(): Promise<Header> {
    const line = await this.next()
    if (!line || line.type !== 'header' || line.format !== BUNDLE_FORMAT) throw new BundleError('this is not a DWCP audit bundle (no header line)')
    if (line.version !== BUNDLE_VERSION) throw new BundleError(`bundle format version ${line.version} is not one this version reads (${BUNDLE_VERSION})`)
    return line
  }

  /** Hand every line before the first entry to `seen`; the first entry stays buffered for rest(). */
  async peekUntilEntries(seen: (line: Line) => void): Promise<void> {
    for (;;) {
      const line = await this.next()
      if (!line) return
      if (line.type === 'entry' || line.type === 'manifest') {
        this.buffered = line
        return
      }
      seen(line)
    }
  }

  async *rest(): AsyncGenerator<Line> {
    for (let line = await this.next(); line; line = await this.next()) yield line
  }
}

function leafOfLine(line: EntryLine): Buffer {
  try {
    return leafOf(toEntry(line))
  } catch {
    return Buffer.alloc(32)
  }
}

function gunzipOrThrow(bytes: Buffer): Buffer {
  try {
    return gunzipSync(bytes)
  } catch {
    throw new BundleError('this is not a DWCP audit bundle (not gzip data)')
  }
}

/** For `dwcp audit verify FILE`: is this file a bundle rather than a database? */
export function looksLikeBundle(file: string): boolean {
  const fd = openSync(file, 'r')
  try {
    const head = Buffer.alloc(2)
    readSync(fd, head, 0, 2, 0)
    return head[0] === 0x1f && head[1] === 0x8b
  } finally {
    closeSync(fd)
  }
}

export type { SignedHead }
