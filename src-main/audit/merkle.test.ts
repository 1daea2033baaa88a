import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { consistencyProof, inclusionProof, leafHash, MerkleAccumulator, ProofError, rootFromLeafHashes, verifyConsistency, verifyInclusion } from './merkle'

const VECTORS = join(__dirname, 'testdata', 'rfc6962', 'testdata')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : name.endsWith('.json') ? [join(dir, name)] : []))
}

const b = (s: string | null | undefined) => Buffer.from(s ?? '', 'base64')

/** An in-memory node store built from leaves: what audit_nodes holds. */
function nodeStore(leaves: Buffer[]) {
  const nodes = new Map<string, Buffer>()
  const acc = new MerkleAccumulator()
  for (const leaf of leaves) for (const n of acc.append(leaf)) nodes.set(`${n.level}/${n.index}`, n.hash)
  return { acc, get: (level: number, index: number) => nodes.get(`${level}/${index}`)! }
}

describe('RFC 6962 reference vectors (transparency-dev/merkle)', () => {
  const all = files(VECTORS)
  it('has all 196 vector files', () => expect(all).toHaveLength(196))

  for (const file of all) {
    const name = file.slice(VECTORS.length + 1)
    it(name, () => {
      const v = JSON.parse(readFileSync(file, 'utf8'))
      const proof = (v.proof ?? []).map(b)
      const run = name.startsWith('inclusion')
        ? () => verifyInclusion(v.leafIdx, v.treeSize, b(v.leafHash), proof, b(v.root))
        : () => verifyConsistency(v.size1, v.size2, proof, b(v.root1), b(v.root2))
      if (v.wantErr) expect(run).toThrow(ProofError)
      else expect(run).not.toThrow()
    })
  }
})

describe('the reference tree of the README', () => {
  const inputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f']
  const roots = [
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ]
  it('gives the published root at every size', () => {
    const leaves = inputs.map((h) => leafHash(Buffer.from(h, 'hex')))
    for (let n = 0; n <= 8; n++) expect(rootFromLeafHashes(leaves.slice(0, n)).toString('hex')).toBe(roots[n])
  })
})

describe('proofs generated from stored subtrees', () => {
  it('verify for every leaf and every pair of sizes up to 70, and fail with any bit flipped', () => {
    const leaves = Array.from({ length: 70 }, () => leafHash(randomBytes(8)))
    const { get } = nodeStore(leaves)
    const roots = Array.from({ length: 71 }, (_, n) => rootFromLeafHashes(leaves.slice(0, n)))
    for (let n = 1; n <= 70; n++) {
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(i, n, get)
        verifyInclusion(i, n, leaves[i], proof, roots[n])
        if (proof.length > 0) {
          const bad = proof.map((p) => Buffer.from(p))
          bad[i % bad.length][i % 32] ^= 1
          expect(() => verifyInclusion(i, n, leaves[i], bad, roots[n])).toThrow(ProofError)
        }
      }
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(m, n, get)
        verifyConsistency(m, n, proof, roots[m], roots[n])
        if (proof.length > 0) {
          const bad = proof.map((p) => Buffer.from(p))
          bad[0][0] ^= 0x80
          expect(() => verifyConsistency(m, n, bad, roots[m], roots[n])).toThrow(ProofError)
        }
      }
    }
  })

  it('resumes from the stored border with the same roots', () => {
    const leaves = Array.from({ length: 300 }, () => leafHash(randomBytes(8)))
    const { get } = nodeStore(leaves)
    for (const size of [0, 1, 2, 3, 7, 64, 100, 255, 256, 299]) {
      const resumed = MerkleAccumulator.fromSubtreeRoots(size, get)
      expect(resumed.root().equals(rootFromLeafHashes(leaves.slice(0, size)))).toBe(true)
      for (const leaf of leaves.slice(size)) resumed.append(leaf)
      expect(resumed.root().equals(rootFromLeafHashes(leaves))).toBe(true)
    }
  })
})
