/**
 * 1,000,000 random and mutated frames through every decoder. A crash is any throw that is not a
 * typed ProtocolError (or a decode that never returns: the test's time limit). The generator is
 * seeded, so a failure names the seed and the frame that broke it.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { crc32c } from './crc32c'
import { decodeToJson, FRAME_KINDS, type FrameKind } from './decode'
import { decodeFrame, frameLength } from './frame'
import { ProtocolError } from './errors'
import { decompressWith } from './compression'
import { zstdReady } from './v3'

beforeAll(() => zstdReady)

const TOTAL = 1_000_000
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))
const v4Seeds = /```dwcp-vectors\n([\s\S]*?)```/
  .exec(readFileSync(here('../../docs/protocol.md'), 'utf8'))![1]!
  .trim()
  .split('\n')
  .map((line) => Buffer.from(line.split(' ')[1]!, 'hex'))
const v3Seeds = (JSON.parse(readFileSync(here('./testdata/dwcp-v3/vectors.json'), 'utf8')) as { vectors: { kind: FrameKind; hex: string }[] }).vectors.map(
  (v) => ({ kind: v.kind, bytes: Buffer.from(v.hex, 'hex') }),
)

function xorshift(seed: number) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 4294967296
  }
}

function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  const bytes = Uint8Array.from(input)
  const edits = 1 + Math.floor(rnd() * 4)
  let out = bytes
  for (let e = 0; e < edits; e++) {
    const op = rnd()
    if (op < 0.6 && out.length > 0) out[Math.floor(rnd() * out.length)] = Math.floor(rnd() * 256)
    else if (op < 0.75) out = out.subarray(0, Math.floor(rnd() * out.length))
    else if (op < 0.9) {
      const extra = new Uint8Array(out.length + 1 + Math.floor(rnd() * 16))
      extra.set(out)
      for (let i = out.length; i < extra.length; i++) extra[i] = Math.floor(rnd() * 256)
      out = extra
    } else if (out.length >= 28) {
      // A large declared length in any length field position.
      const at = Math.floor(rnd() * (out.length - 4))
      new DataView(out.buffer, out.byteOffset).setUint32(at, Math.floor(rnd() * 2 ** 32))
    }
  }
  return out
}

/** Mutated v4 frames with a correct checksum reach the field checks and the decompressors. */
function fixChecksum(frame: Uint8Array): Uint8Array {
  if (frame.length < 32) return frame
  const crc = crc32c(frame, crc32c(frame, 0, 0, 28), 32, frame.length)
  new DataView(frame.buffer, frame.byteOffset).setUint32(28, crc)
  return frame
}

describe('fuzz', () => {
  it(`${TOTAL.toLocaleString('en')} random and mutated frames: typed errors only`, () => {
    const seed = Number(process.env.DWCP_FUZZ_SEED ?? 20251123)
    const rnd = xorshift(seed)
    const counts = { accepted: 0, refused: 0 }
    const kinds = new Map<string, number>()
    for (let i = 0; i < TOTAL; i++) {
      const pick = rnd()
      let bytes: Uint8Array
      let run: () => unknown
      if (pick < 0.35) {
        bytes = mutate(v4Seeds[Math.floor(rnd() * v4Seeds.length)]!, rnd)
        run = () => decodeFrame(bytes)
      } else if (pick < 0.55) {
        bytes = fixChecksum(mutate(v4Seeds[Math.floor(rnd() * v4Seeds.length)]!, rnd))
        run = () => {
          const f = decodeFrame(bytes)
          return decompressWith(f.compression, f.payload)
        }
      } else if (pick < 0.8) {
        const seedFrame = v3Seeds[Math.floor(rnd() * v3Seeds.length)]!
        bytes = mutate(seedFrame.bytes, rnd)
        const kind = seedFrame.kind
        run = () => decodeToJson(bytes, kind)
      } else {
        bytes = new Uint8Array(Math.floor(rnd() * 96)).map(() => Math.floor(rnd() * 256))
        const kind = rnd() < 0.5 ? undefined : FRAME_KINDS[Math.floor(rnd() * FRAME_KINDS.length)]
        run = () => (rnd() < 0.2 ? frameLength(bytes) : decodeToJson(bytes, kind))
      }
      try {
        run()
        counts.accepted++
      } catch (err) {
        if (!(err instanceof ProtocolError)) {
          throw new Error(`crash at frame ${i} (seed ${seed}): ${(err as Error)?.stack ?? String(err)}\ninput ${Buffer.from(bytes).toString('hex')}`)
        }
        counts.refused++
        kinds.set(err.kind, (kinds.get(err.kind) ?? 0) + 1)
      }
    }
    expect(counts.accepted + counts.refused).toBe(TOTAL)
    // The mutations must actually reach the deep checks, not just the magic.
    for (const kind of ['bad_checksum', 'bad_magic', 'truncated', 'decompress', 'bad_field', 'too_large']) expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(100)
    expect(counts.accepted).toBeGreaterThan(100)
  }, 180_000)
})
