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
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import { canonicalEntry, type AuditEntry } from './canonical'
import { fingerprint, restoreLogKey, signCheckpoint, verifyCheckpoint, type LogKey } from './checkpoint'
import type { AuditFilter, AuditLog, SignedHead } from './log'
import { leafHashOfText, ProofError, verifyConsistency, verifyInclusion } from './merkle'
import { verifyFullLog, type VerifyReport } from './verify'

export const BUNDLE_FORMAT = 'dwcp-audit-bundle'
export const BUNDLE_VERSION = 1

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
  const proofMemo = new Map<string, Buffer>()

  function* lines(): Generator<Line> {
    yield { type: 'header', format: BUNDLE_FORMAT, version: BUNDLE_VERSION, origin: key.origin, keyFingerprint: key.fingerprint, exportedAt: new Date().toISOString(), treeSize: head.size, complete, filter, product }
    for (const [fingerprint, k] of keys) yield { type: 'key', fingerprint, origin: k.origin, publicKey: Buffer.from(k.publicKey).toString('base64') }
    for (const h of heads) yield { type: 'head', id: h.id, size: h.size, rootHash: h.rootHash, keyFingerprint: h.keyFingerprint, note: h.note }
    const sizes = [...new Set(heads.map((h) => h.size))].filter((s) => s > 0).sort((a, b) => a - b)
    for (let i = 1; i < sizes.length; i++) yield { type: 'consistency', from: sizes[i - 1], to: sizes[i], proof: b64(log.consistencyProof(sizes[i - 1], sizes[i])) }
    for (const { entry, leaf } of log.iterateWithLeaves(filter)) {
      if (entry.seq >= head.size) break
      digest.add(entry.seq, leafOf(entry))
      yield complete ? { type: 'entry', ...entry, leaf: leaf.toString('base64') } : { type: 'entry', ...entry, proof: b64(log.inclusionProof(entry.seq, head.size, proofMemo)) }
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
    await pipeline(text, createGzip({ level: 1 }), createWriteStream(partial, { mode: 0o600 }))
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

/**
 * What a bundle written by this product can hold. A file beyond these is refused as soon as the
 * reader sees it, before anything is allocated for it: a bundle may come from anyone.
 */
export const BUNDLE_LIMITS = {
  /** An entry's details are at most 64 KiB of JSON, a few times that once escaped as a string. */
  lineBytes: 1024 * 1024,
  /** Inflated size allowed: this much, plus `inflationRatio` times the compressed size. */
  inflatedBaseBytes: 256 * 1024 * 1024,
  /** JSON lines full of hashes and signatures compress a few times, never hundreds. */
  inflationRatio: 256,
  /** Signed heads beyond one per entry (a forced signing may repeat a size). */
  extraHeads: 1024,
  keys: 64,
  /** Hashes in an inclusion proof (the tree is at most 63 levels deep) and in a consistency proof. */
  inclusionProofHashes: 64,
  consistencyProofHashes: 128,
  /** This product writes none; an editor may add a few. Millions of them would be millions of loop turns. */
  blankLines: 1000,
  /** Entries kept for the reviewer to read: a count, and bytes. */
  reviewEntries: 10_000,
  reviewBytes: 16 * 1024 * 1024,
}

/**
 * The file is refused before it is read any further: no bundle this product writes looks like it.
 * Unlike a verdict ("entry #12 was changed"), there is nothing in it to review.
 */
export class BundleRefusedError extends BundleError {
  constructor(message: string) {
    super(message)
    this.name = 'BundleRefusedError'
  }
}

const NOT_OURS = 'not an audit bundle from this product'

/** A failed verdict on a bundle that could not be read at all. */
export function unreadableBundle(message: string, durationMs = 0): BundleReview {
  const verdict = { ok: false, entries: 0, heads: 0, rootHash: '', keyFingerprints: [], problem: { seq: null, message }, durationMs }
  return { verdict, origin: '', keyFingerprint: '', complete: false, exportedAt: '', filter: {}, entries: [], entryCount: 0 }
}

/**
 * Read and verify a bundle (a path, or its bytes), keeping the first entries for review. Damage and
 * tampering give a failed verdict; a file no bundle could be is refused with a BundleRefusedError.
 * Runs on the calling thread: see bundle-check.ts to run it on a worker.
 */
export async function verifyBundle(source: string | Buffer, onProgress?: (done: number, total: number) => void): Promise<BundleReview> {
  const reader = new BundleReader(source)
  try {
    return await readAndVerify(reader, onProgress)
  } finally {
    reader.close()
  }
}

async function readAndVerify(reader: BundleReader, onProgress?: (done: number, total: number) => void): Promise<BundleReview> {
  const started = performance.now()
  let header: Header
  try {
    header = await reader.header()
  } catch (err) {
    if (!(err instanceof BundleError) || err instanceof BundleRefusedError) throw err
    return unreadableBundle(err.message, Math.round(performance.now() - started))
  }
  const keys = new Map<string, { origin: string; publicKey: Uint8Array }>()
  const heads: HeadLine[] = []
  const headIds = new Set<number>()
  const signedHeads = new Set<string>()
  const consistency = new Map<string, ConsistencyLine>()
  const kept: AuditEntry[] = []
  let keptBytes = 0
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
  const addHead = (line: HeadLine) => {
    if (headIds.has(line.id)) throw new BundleRefusedError(`signed head #${line.id} is listed more than once: ${NOT_OURS}`)
    headIds.add(line.id)
    if (line.size > header.treeSize) throw new BundleError(`signed head #${line.id} covers ${line.size} entries but the bundle says it holds ${header.treeSize}: entries were removed`)
    // The same signed head under another number says nothing new: its signature is checked once.
    const signed = `${line.size}\n${line.rootHash}\n${line.keyFingerprint}\n${line.note}`
    if (signedHeads.has(signed)) return
    signedHeads.add(signed)
    if (heads.length >= header.treeSize + BUNDLE_LIMITS.extraHeads) throw new BundleRefusedError(`the bundle lists more signed heads than its ${header.treeSize} entries can justify: ${NOT_OURS}`)
    heads.push(line)
  }
  /** Keys, heads and consistency proofs: gathered as they pass, before and between entries. */
  const collect = (line: Line) => {
    if (line.type === 'key') {
      if (keys.size >= BUNDLE_LIMITS.keys) throw new BundleRefusedError(`the bundle holds more than ${BUNDLE_LIMITS.keys} keys: ${NOT_OURS}`)
      const publicKey = new Uint8Array(Buffer.from(line.publicKey, 'base64'))
      // The fingerprint is what a person compares and what says "this installation": it must be the key's.
      if (fingerprint(publicKey) !== line.fingerprint) throw new BundleError(`the key ${line.fingerprint.slice(0, 16)}… in the bundle is not the key with that fingerprint`)
      keys.set(line.fingerprint, { origin: line.origin, publicKey })
    } else if (line.type === 'head') addHead(line)
    else if (line.type === 'consistency') {
      if (consistency.size >= header.treeSize + BUNDLE_LIMITS.extraHeads) throw new BundleRefusedError(`the bundle holds more consistency proofs than its ${header.treeSize} entries can justify: ${NOT_OURS}`)
      consistency.set(`${line.from}>${line.to}`, line)
    } else if (line.type !== 'entry' && line.type !== 'manifest') throw new BundleError(`a ${line.type} line appears where it does not belong`)
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
        if (kept.length < BUNDLE_LIMITS.reviewEntries && keptBytes < BUNDLE_LIMITS.reviewBytes) {
          kept.push(entry)
          keptBytes += entry.details.length + entry.target.length
        }
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
    if (err instanceof BundleRefusedError) throw err
    if (err instanceof BundleError || err instanceof ProofError) return fail(err.message)
    throw err
  }
}

async function verifyFiltered(
  header: Header,
  digest: EntryDigest,
  keys: Map<string, { origin: string; publicKey: Uint8Array }>,
  heads: HeadLine[],
  consistency: Map<string, ConsistencyLine>,
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

function checkConsistencyChain(heads: HeadLine[], consistency: Map<string, ConsistencyLine>): void {
  const rootAt = new Map(heads.map((h) => [h.size, Buffer.from(h.rootHash, 'base64')]))
  const sizes = [...rootAt.keys()].filter((s) => s > 0).sort((a, b) => a - b)
  for (let i = 1; i < sizes.length; i++) {
    const link = consistency.get(`${sizes[i - 1]}>${sizes[i]}`)
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

/** The entry an entry line holds; the reader has already checked its shape (wellFormed). */
function toEntry(line: EntryLine): AuditEntry {
  return { seq: line.seq, time: line.time, actor: line.actor, action: line.action, target: line.target, intentId: line.intentId, safety: line.safety, outcome: line.outcome, details: line.details }
}

function leafOf(entry: AuditEntry): Buffer {
  return leafHashOfText(canonicalEntry(entry))
}

const b64 = (hashes: Buffer[]) => hashes.map((h) => h.toString('base64'))

// Shape checks of untrusted lines: every field a later step reads has the type it expects, so no
// later step can trip over a number where text was expected, and no message prints an object.
type Fields = Record<string, unknown>
const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v)
const isText = (v: unknown): v is string => typeof v === 'string'
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0
const isHashList = (v: unknown, max: number) => Array.isArray(v) && v.length <= max && v.every((h) => typeof h === 'string' && h.length <= 88)
const isTextOrNull = (v: unknown) => v === null || typeof v === 'string'

function wellFormed(line: Fields): boolean {
  switch (line.type) {
    case 'header':
      return isText(line.origin) && isText(line.keyFingerprint) && isText(line.exportedAt) && isCount(line.treeSize) && typeof line.complete === 'boolean' && isFilter(line.filter) && (line.product === undefined || isText(line.product))
    case 'key':
      return isText(line.fingerprint) && isText(line.origin) && isText(line.publicKey)
    case 'head':
      return isCount(line.id) && isCount(line.size) && isText(line.rootHash) && isText(line.keyFingerprint) && isText(line.note)
    case 'consistency':
      return isCount(line.from) && isCount(line.to) && isHashList(line.proof, BUNDLE_LIMITS.consistencyProofHashes)
    case 'entry':
      return (
        isCount(line.seq) && isText(line.time) && isText(line.actor) && isText(line.action) && isText(line.target) && isTextOrNull(line.intentId) && isTextOrNull(line.safety) && isText(line.outcome) && isText(line.details) &&
        (line.leaf === undefined || (isText(line.leaf) && line.leaf.length <= 88)) &&
        (line.proof === undefined || isHashList(line.proof, BUNDLE_LIMITS.inclusionProofHashes))
      )
    case 'manifest':
      return isCount(line.entryCount) && isText(line.note)
    default:
      return true // named as an unknown type where it is met
  }
}

function isFilter(v: unknown): boolean {
  return isRecord(v) && Object.keys(v).length <= 16 && Object.values(v).every((x) => x === undefined || (typeof x === 'string' && x.length <= 4096))
}

const NEWLINE = 0x0a
const MiB = 1024 * 1024

/**
 * Reads a bundle's lines in order, parsing each strictly, and keeps the entry digest as it goes.
 * It inflates and splits the file itself, a chunk at a time, so a line or an inflated size beyond
 * BUNDLE_LIMITS is refused when it is met, before it is held in memory.
 */
class BundleReader {
  readonly digest = new EntryDigest()
  private file?: ReturnType<typeof createReadStream>
  private gunzip?: ReturnType<typeof createGunzip>
  private chunks?: AsyncIterator<Buffer>
  private maxInflated = 0
  private inflated = 0
  private ended = false
  /** Lines cut from the last chunk, not yet handed out. */
  private lines: string[] = []
  private nextLine = 0
  /** The start of a line that continues in the next chunk. */
  private partial: Buffer[] = []
  private partialBytes = 0
  private linesCut = 0
  private buffered: Line | undefined
  private lineNo = 0
  private blankLines = 0

  constructor(private readonly source: string | Buffer) {}

  close(): void {
    this.file?.destroy()
    this.gunzip?.destroy()
  }

  private open(): AsyncIterator<Buffer> {
    const gunzip = createGunzip()
    this.gunzip = gunzip
    let compressedBytes: number
    if (typeof this.source === 'string') {
      try {
        compressedBytes = statSync(this.source).size
      } catch (err) {
        throw new BundleError(`the bundle cannot be read: ${(err as Error).message}`)
      }
      this.file = createReadStream(this.source)
      this.file.on('error', (err) => gunzip.destroy(err))
      this.file.pipe(gunzip)
    } else {
      compressedBytes = this.source.length
      gunzip.end(this.source)
    }
    this.maxInflated = BUNDLE_LIMITS.inflatedBaseBytes + BUNDLE_LIMITS.inflationRatio * compressedBytes
    return gunzip[Symbol.asyncIterator]()
  }

  /** Inflate the next chunk and cut it into lines. */
  private async cut(): Promise<void> {
    this.chunks ??= this.open()
    let chunk: IteratorResult<Buffer>
    try {
      chunk = await this.chunks.next()
    } catch (err) {
      throw new BundleError(`the bundle cannot be read: ${(err as Error).message} (not a .dwcpaudit file, or damaged)`)
    }
    this.lines = []
    this.nextLine = 0
    if (chunk.done) {
      this.ended = true
      if (this.partialBytes > 0) this.lines.push(this.takePartial(Buffer.alloc(0)))
      return
    }
    const bytes = chunk.value
    this.inflated += bytes.length
    if (this.inflated > this.maxInflated) throw new BundleRefusedError(`the bundle inflates to more than ${Math.round(this.maxInflated / MiB)} MiB, far more than its compressed size can hold: ${NOT_OURS}`)
    let start = 0
    for (let end = bytes.indexOf(NEWLINE); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
      if (this.partialBytes + end - start > BUNDLE_LIMITS.lineBytes) throw this.lineTooLong()
      this.lines.push(this.partialBytes > 0 ? this.takePartial(bytes.subarray(start, end)) : bytes.toString('utf8', start, end))
      this.linesCut++
      start = end + 1
    }
    if (start < bytes.length) {
      this.partial.push(bytes.subarray(start))
      this.partialBytes += bytes.length - start
      if (this.partialBytes > BUNDLE_LIMITS.lineBytes) throw this.lineTooLong()
    }
  }

  private takePartial(rest: Buffer): string {
    const line = Buffer.concat([...this.partial, rest]).toString('utf8')
    this.partial = []
    this.partialBytes = 0
    return line
  }

  private lineTooLong(): BundleRefusedError {
    return new BundleRefusedError(`line ${this.linesCut + 1} is longer than ${BUNDLE_LIMITS.lineBytes / MiB} MiB: ${NOT_OURS}`)
  }

  private async nextRawLine(): Promise<string | undefined> {
    while (this.nextLine >= this.lines.length) {
      if (this.ended) return undefined
      await this.cut()
    }
    return this.lines[this.nextLine++]
  }

  private async next(): Promise<Line | undefined> {
    if (this.buffered) {
      const line = this.buffered
      this.buffered = undefined
      return line
    }
    for (;;) {
      const raw = await this.nextRawLine()
      if (raw === undefined) return undefined
      this.lineNo++
      if (raw.trim() !== '') return this.parse(raw)
      if (++this.blankLines > BUNDLE_LIMITS.blankLines) throw new BundleRefusedError(`the bundle has more than ${BUNDLE_LIMITS.blankLines} blank lines: ${NOT_OURS}`)
    }
  }

  private parse(raw: string): Line {
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch {
      throw new BundleError(`line ${this.lineNo} of the bundle is not valid JSON: it was changed or cut`)
    }
    if (!isRecord(value) || typeof value.type !== 'string') throw new BundleError(`line ${this.lineNo} of the bundle has no type`)
    if (value.type === 'header') {
      if (value.format !== BUNDLE_FORMAT) throw new BundleError('this is not a DWCP audit bundle (no header line)')
      if (value.version !== BUNDLE_VERSION) throw new BundleError(`bundle format version ${typeof value.version === 'number' ? value.version : '(none)'} is not one this version reads (${BUNDLE_VERSION})`)
    }
    if (!wellFormed(value)) throw new BundleError(`line ${this.lineNo} of the bundle is not a well-formed ${value.type.slice(0, 20)} line: it was changed`)
    const line = value as unknown as Line
    if (line.type === 'entry') this.digest.add(line.seq, leafOf(toEntry(line)))
    return line
  }

  async header(): Promise<Header> {
    const line = await this.next()
    if (!line || line.type !== 'header') throw new BundleError('this is not a DWCP audit bundle (no header line)')
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
