import { describe, expect, it } from 'vitest'
import { murmur3String, murmur3x86_32, rolloutBucket } from './murmur'

describe('MurmurHash3 x86_32', () => {
  // Reference values from SMHasher's algorithm (cross-checked with the mmh3 Python extension).
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['hello', 0, 613153351],
    ['abc', 0, 3017643002],
    ['The quick brown fox jumps over the lazy dog', 0, 776992547],
    ['Hello, world!', 0x9747b28c, 612912314],
    ['aaaa', 0x9747b28c, 1519878282],
    ['été', 0, 865297935],
    ['日本語:ユーザー', 0, 845217155],
  ])('hash of %j with seed %d', (text, seed, expected) => {
    expect(murmur3String(text, seed)).toBe(expected)
  })

  it('hashes every tail length (0–3 trailing bytes) as the reference does', () => {
    expect(murmur3x86_32(new Uint8Array([0, 0, 0, 0]), 0)).toBe(0x2362f9de)
    expect(murmur3x86_32(new Uint8Array([0x21, 0x43, 0x65]), 0)).toBe(0x7e4a8634)
    expect(murmur3x86_32(new Uint8Array([0x21, 0x43]), 0)).toBe(0xa0f7b07a)
    expect(murmur3x86_32(new Uint8Array([0x21]), 0)).toBe(0x72661cf4)
  })
})

describe('rollout buckets (Unleash normalizedHash)', () => {
  it('matches the values Unleash’s Node, Java and Go clients agree on', () => {
    // Unleash's cross-client check: normalizedHash("123", "gr1") = 73, ("999", "groupX") = 25.
    expect(rolloutBucket('gr1', '123')).toBe(73)
    expect(rolloutBucket('groupX', '999')).toBe(25)
  })

  it('puts 100k users within ±1 % of each percentage, and growing the percentage only adds users', () => {
    const users = Array.from({ length: 100_000 }, (_, i) => `user-${i}`)
    const buckets = users.map((u) => rolloutBucket('enhanced_compression', u))
    for (const pct of [1, 10, 25, 50, 75, 90, 99]) {
      const share = buckets.filter((b) => b <= pct).length / users.length
      expect(Math.abs(share * 100 - pct)).toBeLessThanOrEqual(1)
    }
    expect(Math.min(...buckets)).toBe(1)
    expect(Math.max(...buckets)).toBe(100)
  })

  it('gives one user different buckets in different flags (the flag name is the group)', () => {
    const differ = Array.from({ length: 200 }, (_, i) => rolloutBucket('wasm_runtime', `u${i}`) !== rolloutBucket('quantum_crypto', `u${i}`)).filter(Boolean).length
    expect(differ).toBeGreaterThan(150)
  })
})
