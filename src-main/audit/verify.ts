import { canonicalEntry, type AuditEntry } from './canonical'
import { verifyCheckpoint } from './checkpoint'
import { leafHashOfText, MerkleAccumulator } from './merkle'

export interface HeadToCheck {
  id?: number
  size: number
  rootHash: string
  keyFingerprint: string
  note: string
}

export interface VerifyProblem {
  /** The first entry that does not match, when one can be named. */
  seq: number | null
  /** The signed head involved, when the problem is with a head. */
  headId?: number
  message: string
}

export interface VerifyReport {
  ok: boolean
  entries: number
  heads: number
  rootHash: string
  /** Fingerprints of the keys whose signatures were checked. */
  keyFingerprints: string[]
  problem?: VerifyProblem
  durationMs: number
}

export interface FullVerifyInput {
  /** Called once per pass: a second pass names a rewritten entry. */
  entries: () => Iterable<{ entry: AuditEntry; storedLeaf?: Buffer }> | AsyncIterable<{ entry: AuditEntry; storedLeaf?: Buffer }>
  total: number
  heads: HeadToCheck[]
  keys: Map<string, { origin: string; publicKey: Uint8Array }>
  onProgress?: (done: number, total: number) => void
  /** Where to look up the leaf hash recorded at append time, to name a changed entry. */
  leafAtAppend?: (seq: number) => Buffer | undefined
  /**
   * The root the log had when its entries were appended (from the stored Merkle nodes), which also
   * covers entries after the last signed head.
   */
  expectedRoot?: Buffer
}

/** A verification problem found; carried up by throw and turned into the report's verdict. */
export class Failure extends Error {
  constructor(readonly problem: VerifyProblem) {
    super(problem.message)
  }
}

const PROGRESS_EVERY = 50_000

/**
 * Check a whole log from its first entry: every entry's bytes against its leaf hash, the sequence for
 * gaps, every signed head's signature, and every head's root against the root recomputed at its size.
 * Stops at the first problem and names it.
 */
export async function verifyFullLog(input: FullVerifyInput): Promise<VerifyReport> {
  const started = performance.now()
  const tree = new MerkleAccumulator()
  const heads = [...input.heads].sort((a, b) => a.size - b.size || (a.id ?? 0) - (b.id ?? 0))
  const report = (problem?: VerifyProblem): VerifyReport => ({
    ok: !problem,
    entries: tree.size,
    heads: heads.length,
    rootHash: tree.root().toString('base64'),
    keyFingerprints: [...new Set(heads.map((h) => h.keyFingerprint))],
    ...(problem ? { problem } : {}),
    durationMs: Math.round(performance.now() - started),
  })
  try {
    for (const head of heads) checkHeadSignature(head, input.keys)
    let nextHead = 0
    while (nextHead < heads.length && heads[nextHead].size === 0) await checkHeadRoot(heads[nextHead++], tree, input)
    // The live log is read synchronously (fast); a bundle streams from a file.
    const pending: HeadToCheck[] = []
    const step = ({ entry, storedLeaf }: { entry: AuditEntry; storedLeaf?: Buffer }) => {
      const expected = tree.size
      if (entry.seq !== expected) {
        throw new Failure({
          seq: expected,
          message: entry.seq > expected ? `entry #${expected} is missing (deleted?): the next entry is #${entry.seq}` : `entry #${entry.seq} appears again after #${expected - 1} (rows reordered or duplicated)`,
        })
      }
      const leaf = leafHashOfText(canonicalEntry(entry))
      if (storedLeaf && !leaf.equals(storedLeaf)) throw new Failure({ seq: entry.seq, message: `entry #${entry.seq} was changed: its content no longer matches its leaf hash` })
      tree.appendLeaf(leaf)
      while (nextHead < heads.length && heads[nextHead].size === tree.size) {
        const head = heads[nextHead++]
        if (tree.root().toString('base64') !== head.rootHash) pending.push(head)
      }
      if (tree.size % PROGRESS_EVERY === 0) input.onProgress?.(tree.size, input.total)
      return pending.length === 0
    }
    const source = input.entries()
    if (Symbol.iterator in source) {
      // Let the event loop breathe between chunks, so progress events reach the screen meanwhile.
      const it = source[Symbol.iterator]()
      try {
        for (let n = 1, r = it.next(); !r.done; r = it.next(), n++) {
          if (!step(r.value)) break
          if (n % PROGRESS_EVERY === 0) await new Promise((resolve) => setImmediate(resolve))
        }
      } finally {
        it.return?.()
      }
    } else {
      for await (const item of source) if (!step(item)) break
    }
    if (pending.length > 0) await checkHeadRoot(pending[0], null, input)
    if (input.expectedRoot && tree.size === input.total && !tree.root().equals(input.expectedRoot)) {
      throw treeMismatch(await findRewrittenEntry(tree.size, input))
    }
    if (nextHead < heads.length) throw removedFromEnd(heads[nextHead], tree.size)
    input.onProgress?.(tree.size, input.total)
    return report()
  } catch (err) {
    if (err instanceof Failure) return report(err.problem)
    throw err
  }
}

export function checkHeadSignature(head: HeadToCheck, keys: FullVerifyInput['keys']): void {
  const key = keys.get(head.keyFingerprint)
  const label = head.id !== undefined ? `signed head #${head.id}` : `the signed head of size ${head.size}`
  if (!key) throw new Failure({ seq: null, headId: head.id, message: `${label} names a key (${head.keyFingerprint.slice(0, 16)}…) that this log does not hold` })
  let signed
  try {
    signed = verifyCheckpoint(head.note, key.publicKey, key.origin)
  } catch (err) {
    throw new Failure({ seq: null, headId: head.id, message: `${label} does not verify: ${(err as Error).message}` })
  }
  if (signed.size !== head.size || Buffer.from(signed.rootHash).toString('base64') !== head.rootHash) {
    throw new Failure({ seq: null, headId: head.id, message: `${label} was altered: its stored size or root differs from what was signed` })
  }
}

async function checkHeadRoot(head: HeadToCheck, tree: MerkleAccumulator | null, input: FullVerifyInput): Promise<void> {
  if (tree && tree.root().toString('base64') === head.rootHash) return
  throw headMismatch(head, await findRewrittenEntry(head.size, input))
}

// The verdicts both verifiers (this one and verify-live.ts) give, worded once.

/** The entries up to a signed head no longer hash to its root; `seq` is the changed entry, when known. */
export function headMismatch(head: HeadToCheck, seq: number | null): Failure {
  const label = head.id !== undefined ? `signed head #${head.id}` : `the signed head`
  const which = seq === null ? 'an entry was rewritten' : `entry #${seq} was changed`
  return new Failure({ seq, headId: head.id, message: `${which}: the entries up to #${head.size - 1} no longer match ${label} (size ${head.size})` })
}

/** The entries no longer match the tree recorded as they were appended. */
export function treeMismatch(seq: number | null): Failure {
  return new Failure({ seq, message: seq === null ? 'the entries do not match the Merkle tree recorded as they were appended' : `entry #${seq} was changed: it no longer matches the leaf hash recorded when it was appended` })
}

/** A signed head covers more entries than the log holds. */
export function removedFromEnd(head: HeadToCheck, size: number): Failure {
  return new Failure({ seq: size, headId: head.id, message: `a signed head covers ${head.size} entries but the log holds only ${size}: entries from #${size} on were removed` })
}

/** Name the rewritten entry by comparing with the leaf hashes recorded at append time, when we have them. */
async function findRewrittenEntry(size: number, input: FullVerifyInput): Promise<number | null> {
  if (!input.leafAtAppend) return null
  for await (const { entry } of input.entries()) {
    if (entry.seq >= size) break
    const recorded = input.leafAtAppend(entry.seq)
    if (!recorded || !recorded.equals(leafHashOfText(canonicalEntry(entry)))) return entry.seq
  }
  return null
}
