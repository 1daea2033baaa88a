/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain algorithm), and the bucket that
 * Unleash's gradual rollout derives from it. Written here rather than taken from a package because
 * it is twenty lines and its exact behaviour is an interface: a user's bucket must never move.
 */

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

/** MurmurHash3 x86_32 of the bytes, as an unsigned 32-bit integer. */
export function murmur3x86_32(bytes: Uint8Array, seed = 0): number {
  let h = seed >>> 0
  const blocks = bytes.length & ~3
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, C2)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  // The 1–3 trailing bytes, little-endian, mixed without the final rotate-add of a full block.
  const rest = bytes.length & 3
  if (rest > 0) {
    let tail = 0
    for (let i = rest - 1; i >= 0; i--) tail = (tail << 8) | bytes[blocks + i]!
    tail = Math.imul(tail, C1)
    tail = (tail << 15) | (tail >>> 17)
    tail = Math.imul(tail, C2)
    h ^= tail
  }
  h ^= bytes.length
  return finalMix(h) >>> 0
}

/** The avalanche step: every input bit affects every output bit. */
function finalMix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}

const utf8 = new TextEncoder()

/** MurmurHash3 x86_32 of a string's UTF-8 bytes (what Unleash's Go and Java SDKs hash). */
export function murmur3String(text: string, seed = 0): number {
  return murmur3x86_32(utf8.encode(text), seed)
}

/**
 * The bucket 1–100 of `userId` for a flag, as Unleash's `normalizedHash(userId, groupId)`:
 * murmur3(`groupId:userId`, seed 0) % 100 + 1. The group is the flag's name. A user is in a
 * rollout of P % when bucket ≤ P, so raising P only ever adds users.
 */
export function rolloutBucket(flagName: string, userId: string): number {
  return (murmur3String(`${flagName}:${userId}`) % 100) + 1
}
