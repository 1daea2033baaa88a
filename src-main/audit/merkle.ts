/**
 * RFC 6962 / RFC 9162 Merkle tree: hashing, an incremental builder that reports every complete subtree
 * it finishes (so they can be stored), proofs generated from stored complete subtrees, and the
 * verification algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2.
 *
 * A "node (level, index)" is the root of the complete subtree over leaves [index·2^level, (index+1)·2^level).
 */
import * as nodeCrypto from 'node:crypto'
import { createHash } from 'node:crypto'

export const HASH_SIZE = 32
const LEAF_PREFIX = Buffer.from([0x00])
const NODE_PREFIX = Buffer.from([0x01])
/** MTH of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT = createHash('sha256').digest()

export class ProofError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProofError'
  }
}

/** RFC 6962 §2.1: leaf hash = SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest()
}

// crypto.hash (Node ≥ 20.12) hashes in one native call: about twice as fast as createHash for the
// short inputs of a Merkle tree, which is what verification of a million entries spends its time on.
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string | Uint8Array, output: 'buffer') => Buffer }).hash
const sha256 = oneShot ? (data: string | Uint8Array) => oneShot('sha256', data, 'buffer') : (data: string | Uint8Array) => createHash('sha256').update(data).digest()

/** The leaf hash of UTF-8 text, without copying it into a Buffer first (the audit log's hot path). */
export function leafHashOfText(text: string): Buffer {
  return sha256('\0' + text)
}

// One reused buffer for 0x01 || left || right: a single update call per node is measurably faster.
const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE, 0x01)

/** RFC 6962 §2.1: interior node = SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest()
  nodeInput.set(left, 1)
  nodeInput.set(right, 1 + HASH_SIZE)
  return sha256(nodeInput)
}

export type NodeLookup = (level: number, index: number) => Buffer

export interface CompletedNode {
  level: number
  index: number
  hash: Buffer
}

/**
 * Builds the tree one leaf at a time in O(1) amortised work, holding only the "right border": one
 * complete subtree root per set bit of the size, largest first.
 */
export class MerkleAccumulator {
  /** Roots of the complete subtrees making up the tree, from the largest (leftmost) to the smallest. */
  private border: { level: number; hash: Buffer }[] = []
  private count = 0

  get size(): number {
    return this.count
  }

  /** Resume from stored state: the border of a tree of `size` leaves, read from the node store. */
  static fromSubtreeRoots(size: number, getNode: NodeLookup): MerkleAccumulator {
    const acc = new MerkleAccumulator()
    let offset = 0
    for (let level = 52; level >= 0; level--) {
      const span = 2 ** level
      if (Math.floor(size / span) % 2 === 1) {
        acc.border.push({ level, hash: getNode(level, offset / span) })
        offset += span
      }
    }
    acc.count = size
    return acc
  }

  /** Add a leaf hash; returns the complete subtrees it finished, the leaf itself first (level 0). */
  append(leaf: Buffer): CompletedNode[] {
    const index = this.count
    const completed: CompletedNode[] = [{ level: 0, index, hash: leaf }]
    let node = { level: 0, hash: leaf }
    while (this.border.length > 0 && this.border[this.border.length - 1].level === node.level) {
      const left = this.border.pop()!
      node = { level: node.level + 1, hash: nodeHash(left.hash, node.hash) }
      completed.push({ level: node.level, index: Math.floor(index / 2 ** node.level), hash: node.hash })
    }
    this.border.push(node)
    this.count++
    return completed
  }

  /** Add a leaf hash without reporting completed nodes (verification needs only the root). */
  appendLeaf(leaf: Buffer): void {
    let level = 0
    let hash = leaf
    while (this.border.length > 0 && this.border[this.border.length - 1].level === level) {
      hash = nodeHash(this.border.pop()!.hash, hash)
      level++
    }
    this.border.push({ level, hash })
    this.count++
  }

  /** MTH of the leaves so far: the border folded from the right. */
  root(): Buffer {
    if (this.border.length === 0) return EMPTY_ROOT
    let hash = this.border[this.border.length - 1].hash
    for (let i = this.border.length - 2; i >= 0; i--) hash = nodeHash(this.border[i].hash, hash)
    return hash
  }
}

/** MTH over leaf hashes (RFC 6962 §2.1), iteratively. */
export function rootFromLeafHashes(leaves: readonly Buffer[]): Buffer {
  const acc = new MerkleAccumulator()
  for (const leaf of leaves) acc.append(leaf)
  return acc.root()
}

/** Largest power of two strictly less than n (n ≥ 2): the split point k of RFC 6962 §2.1. */
function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/**
 * Hash of the subtree over leaves [start, start + size), which need not be complete: split at the
 * largest power of two, as MTH does, down to complete subtrees read from the store. O(log n) lookups.
 */
function rangeHash(start: number, size: number, getNode: NodeLookup, memo?: Map<string, Buffer>): Buffer {
  if (size === 0) return EMPTY_ROOT
  if ((size & (size - 1)) === 0 && start % size === 0) return getNode(Math.log2(size), start / size)
  const key = `${start}+${size}`
  const known = memo?.get(key)
  if (known) return known
  const k = splitPoint(size)
  const hash = nodeHash(rangeHash(start, k, getNode, memo), rangeHash(start + k, size - k, getNode, memo))
  memo?.set(key, hash)
  return hash
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]), with `start` offsetting into the whole tree. */
function path(m: number, start: number, n: number, getNode: NodeLookup, memo?: Map<string, Buffer>): Buffer[] {
  if (n === 1) return []
  const k = splitPoint(n)
  if (m < k) return [...path(m, start, k, getNode, memo), rangeHash(start + k, n - k, getNode, memo)]
  return [...path(m - k, start + k, n - k, getNode, memo), rangeHash(start, k, getNode, memo)]
}

/**
 * `memo` keeps the hashes of incomplete subtrees between calls for one tree size: only the few on
 * the tree's right edge are incomplete, and every proof in an export would otherwise rehash them.
 */
export function inclusionProof(leafIndex: number, treeSize: number, getNode: NodeLookup, memo?: Map<string, Buffer>): Buffer[] {
  if (!(leafIndex >= 0 && leafIndex < treeSize)) throw new ProofError(`leaf ${leafIndex} is outside a tree of size ${treeSize}`)
  return path(leafIndex, 0, treeSize, getNode, memo)
}

/** RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b). */
function subproof(m: number, start: number, n: number, complete: boolean, getNode: NodeLookup): Buffer[] {
  if (m === n) return complete ? [] : [rangeHash(start, n, getNode)]
  const k = splitPoint(n)
  if (m <= k) return [...subproof(m, start, k, complete, getNode), rangeHash(start + k, n - k, getNode)]
  return [...subproof(m - k, start + k, n - k, false, getNode), rangeHash(start, k, getNode)]
}

export function consistencyProof(size1: number, size2: number, getNode: NodeLookup): Buffer[] {
  if (!(size1 > 0 && size1 <= size2)) throw new ProofError(`no consistency proof from size ${size1} to size ${size2}`)
  if (size1 === size2) return []
  return subproof(size1, 0, size2, true, getNode)
}

function checkHash(name: string, hash: Uint8Array): void {
  if (hash.length !== HASH_SIZE) throw new ProofError(`${name} is ${hash.length} bytes, not ${HASH_SIZE}`)
}

/** RFC 9162 §2.1.3.2: verify that `leaf` is at `leafIndex` in the tree of `treeSize` leaves with `root`. */
export function verifyInclusion(leafIndex: number, treeSize: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  checkHash('the leaf hash', leaf)
  if (!(Number.isInteger(leafIndex) && Number.isInteger(treeSize) && leafIndex >= 0 && leafIndex < treeSize)) {
    throw new ProofError(`leaf index ${leafIndex} is outside a tree of size ${treeSize}`)
  }
  proof.forEach((p, i) => checkHash(`proof element ${i}`, p))
  let fn = leafIndex
  let sn = treeSize - 1
  let r: Buffer = Buffer.from(leaf)
  for (const p of proof) {
    if (sn === 0) throw new ProofError('the inclusion proof is longer than the tree is deep')
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2)
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      r = nodeHash(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  if (sn !== 0) throw new ProofError('the inclusion proof is shorter than the tree is deep')
  if (!r.equals(Buffer.from(root))) throw new ProofError('the inclusion proof leads to a different root')
}

/** RFC 9162 §2.1.4.2: verify that the tree of size2 with root2 extends the tree of size1 with root1. */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  proof.forEach((p, i) => checkHash(`proof element ${i}`, p))
  if (!(Number.isInteger(size1) && Number.isInteger(size2) && size1 >= 0 && size2 >= 0)) throw new ProofError('tree sizes must be whole numbers')
  // The reference verifier treats a proof from an empty tree as an error, checked first.
  if (size1 === 0) throw new ProofError('there is no consistency proof from an empty tree')
  if (size2 < size1) throw new ProofError(`size ${size2} is smaller than size ${size1}`)
  if (size1 === size2) {
    if (proof.length !== 0) throw new ProofError('a proof between equal sizes must be empty')
    if (!Buffer.from(root1).equals(Buffer.from(root2))) throw new ProofError('equal sizes with different roots')
    return
  }
  if (proof.length === 0) throw new ProofError('the consistency proof is empty')
  const path = [...proof]
  // Step 2: if size1 is an exact power of two, root1 is the first node of the path.
  if ((size1 & (size1 - 1)) === 0) path.unshift(root1)
  let fn = size1 - 1
  let sn = size2 - 1
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  let fr: Buffer = Buffer.from(path[0])
  let sr: Buffer = Buffer.from(path[0])
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ProofError('the consistency proof is too long')
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2)
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  if (sn !== 0) throw new ProofError('the consistency proof is too short')
  if (!fr.equals(Buffer.from(root1))) throw new ProofError('the consistency proof does not lead to the first root')
  if (!sr.equals(Buffer.from(root2))) throw new ProofError('the consistency proof does not lead to the second root')
}
