/**
 * Check an entry's inclusion proof here, in the window, with WebCrypto: the detail panel's "checked"
 * then rests on this code and the entry on screen, not on the host's word.
 *
 * RFC 9162 §2.1.1 (hashes) and §2.1.3.2 (verifying an inclusion proof).
 */
import type { AuditEntry, InclusionProof } from '../../src-main/api/contract'
import { canonicalEntry } from '../../src-main/audit/canonical'

export type ProofCheck =
  | { ok: true }
  | { ok: false; reason: string }

const LEAF_PREFIX = 0x00
const NODE_PREFIX = 0x01

export async function checkProof(entry: AuditEntry, proof: InclusionProof): Promise<ProofCheck> {
  if (!globalThis.crypto?.subtle) return { ok: false, reason: 'this window has no WebCrypto (it needs a secure context: https or localhost)' }
  // The leaf is recomputed from the entry as displayed, so a proof for some other entry cannot pass.
  const leaf = await sha256(LEAF_PREFIX, new TextEncoder().encode(canonicalEntry(entry)))
  if (!equal(leaf, decode(proof.leafHash))) return { ok: false, reason: 'the entry shown does not hash to the proof’s leaf' }
  const root = await rootFromPath(proof.seq, proof.treeSize, leaf, proof.path.map(decode))
  if (!root) return { ok: false, reason: 'the audit path has the wrong length for this tree size' }
  if (!equal(root, decode(proof.rootHash))) return { ok: false, reason: 'the audit path does not lead to the root hash' }
  if (proof.head && !noteNames(proof.head.note, proof.treeSize, proof.rootHash)) return { ok: false, reason: 'the signed head names another tree size or root' }
  return { ok: true }
}

/** RFC 9162 §2.1.3.2, step by step; undefined when the path cannot belong to this tree. */
async function rootFromPath(leafIndex: number, treeSize: number, leaf: Uint8Array, path: Uint8Array[]): Promise<Uint8Array | undefined> {
  if (leafIndex >= treeSize) return undefined
  let fn = leafIndex
  let sn = treeSize - 1
  let r = leaf
  for (const p of path) {
    if (sn === 0) return undefined
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(NODE_PREFIX, p, r)
      // A right-edge node of an unbalanced tree: climb until this node is a right child again.
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2)
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      r = await sha256(NODE_PREFIX, r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 ? r : undefined
}

/** A checkpoint's body is "<origin>\n<size>\n<base64 root>\n" (C2SP tlog-checkpoint). */
function noteNames(note: string, size: number, rootHash: string): boolean {
  const [, sizeLine, rootLine] = note.split('\n')
  return sizeLine === String(size) && rootLine === rootHash
}

async function sha256(prefix: number, ...parts: Uint8Array[]): Promise<Uint8Array> {
  const input = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0))
  input[0] = prefix
  let at = 1
  for (const part of parts) {
    input.set(part, at)
    at += part.length
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', input))
}

function decode(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}
