/**
 * Damage done to a genuine file, for fuzz tests of the decoders that read untrusted files: a
 * truncation, bit flips, random bytes in its place, or text in its place. Tests add their own
 * format-aware cases beside these.
 */
import fc from 'fast-check'

export type BitFlip = { at: number; bit: number }

export type Edit =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; bits: BitFlip[] }
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'text'; text: string }

/** One bit of one byte; `at` wraps around the file's length. */
export const bitFlip: fc.Arbitrary<BitFlip> = fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) })

/**
 * Each kind of edit as its own arbitrary, so a test can list them flat beside its own cases in one
 * fc.oneof (every case then equally likely) instead of nesting them as one case.
 */
export function fileEditKinds(randomMaxBytes = 4000): fc.Arbitrary<Edit>[] {
  return [
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('flip' as const), bits: fc.array(bitFlip, { minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: randomMaxBytes }) }),
    fc.record({ kind: fc.constant('text' as const), text: fc.string({ maxLength: 2000 }) }),
  ]
}

export const fileEdit: fc.Arbitrary<Edit> = fc.oneof(...fileEditKinds())

/** The edited file; `original` (non-empty) is left as it was. A truncation always drops at least one byte. */
export function applyEdit(original: Buffer, edit: Edit): Buffer {
  switch (edit.kind) {
    case 'truncate':
      return original.subarray(0, edit.at % original.length)
    case 'flip': {
      const copy = Buffer.from(original)
      for (const { at, bit } of edit.bits) copy[at % copy.length] ^= 1 << bit
      return copy
    }
    case 'random':
      return Buffer.from(edit.bytes)
    case 'text':
      return Buffer.from(edit.text, 'utf8')
  }
}
