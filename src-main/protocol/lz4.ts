/**
 * LZ4 frame format (the `lz4` tool's output), decoded with every length checked against the bytes
 * present and the size the HDE header declares, and encoded as a frame with one compressed block per
 * 64 KiB. Our own because the JavaScript packages we tried do not bound their loops on corrupt input:
 * a fuzzed frame hung one of them for seconds.
 */
import { fail } from './errors'

const MAGIC = 0x184d2204
const P1 = 2654435761
const P2 = 2246822519
const P3 = 3266489917
const P4 = 668265263
const P5 = 374761393
const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0
const u32 = (b: Uint8Array, i: number) => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0

/** xxHash32, the checksum of LZ4 frame descriptors, blocks and content. */
export function xxh32(b: Uint8Array, start = 0, end = b.length, seed = 0): number {
  const len = end - start
  let i = start
  let h: number
  if (len >= 16) {
    let v1 = (seed + P1 + P2) >>> 0
    let v2 = (seed + P2) >>> 0
    let v3 = seed >>> 0
    let v4 = (seed - P1) >>> 0
    const round = (v: number, lane: number) => Math.imul(rotl((v + Math.imul(lane, P2)) >>> 0, 13), P1) >>> 0
    for (; i + 16 <= end; i += 16) {
      v1 = round(v1, u32(b, i))
      v2 = round(v2, u32(b, i + 4))
      v3 = round(v3, u32(b, i + 8))
      v4 = round(v4, u32(b, i + 12))
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0
  } else h = (seed + P5) >>> 0
  h = (h + len) >>> 0
  for (; i + 4 <= end; i += 4) h = Math.imul(rotl((h + Math.imul(u32(b, i), P3)) >>> 0, 17), P4) >>> 0
  for (; i < end; i++) h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) >>> 0, 11), P1) >>> 0
  h ^= h >>> 15
  h = Math.imul(h, P2) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, P3) >>> 0
  h ^= h >>> 16
  return h >>> 0
}

const BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20]

/** Decode one LZ4 frame that must produce exactly `expectedSize` bytes and fill all of `src`. */
export function lz4DecodeFrame(src: Uint8Array, expectedSize: number): Uint8Array {
  const need = (at: number, n: number, what: string) => {
    if (at + n > src.length) fail('decompress', `LZ4 frame truncated in its ${what}`)
  }
  need(0, 7, 'header')
  if (u32(src, 0) !== MAGIC) fail('decompress', 'not an LZ4 frame: bad magic')
  const flg = src[4]!
  const bd = src[5]!
  if (flg >> 6 !== 1) fail('decompress', `LZ4 frame version ${flg >> 6}, expected 1`)
  if (flg & 0x02 || bd & 0x8f) fail('decompress', 'LZ4 frame reserved bits are set')
  if (flg & 0x01) fail('decompress', 'LZ4 frames with a dictionary are not supported')
  const blockMax = BLOCK_MAX[(bd >> 4) & 7]!
  if (!blockMax) fail('decompress', 'LZ4 frame block size id is invalid')
  const blockChecksum = (flg & 0x10) !== 0
  const contentChecksum = (flg & 0x04) !== 0
  let at = 6
  if (flg & 0x08) {
    need(at, 8, 'content size')
    const size = u32(src, at) + u32(src, at + 4) * 2 ** 32
    if (size !== expectedSize) fail('decompress', `LZ4 frame says ${size} bytes, the container ${expectedSize}`)
    at += 8
  }
  need(at, 1, 'header checksum')
  if (((xxh32(src, 4, at) >>> 8) & 0xff) !== src[at]) fail('decompress', 'LZ4 frame header checksum does not match')
  at += 1
  const out = new Uint8Array(expectedSize)
  let produced = 0
  for (;;) {
    need(at, 4, 'block size')
    const word = u32(src, at)
    at += 4
    if (word === 0) break
    const size = word & 0x7fffffff
    if (size > blockMax) fail('decompress', `LZ4 block of ${size} bytes exceeds the frame's ${blockMax}`)
    need(at, size + (blockChecksum ? 4 : 0), 'block')
    if (blockChecksum && xxh32(src, at, at + size) !== u32(src, at + size)) fail('decompress', 'LZ4 block checksum does not match')
    if (word & 0x80000000) {
      if (produced + size > expectedSize) fail('decompress', `LZ4 data is longer than the ${expectedSize} bytes declared`)
      out.set(src.subarray(at, at + size), produced)
      produced += size
    } else produced = decodeBlock(src, at, at + size, out, produced)
    at += size + (blockChecksum ? 4 : 0)
  }
  if (contentChecksum) {
    need(at, 4, 'content checksum')
    if (xxh32(out, 0, produced) !== u32(src, at)) fail('decompress', 'LZ4 content checksum does not match')
    at += 4
  }
  if (at !== src.length) fail('decompress', `${src.length - at} bytes follow the LZ4 frame`)
  if (produced !== expectedSize) fail('decompress', `LZ4 data is ${produced} bytes, ${expectedSize} declared`)
  return out
}

function decodeBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, produced: number): number {
  let i = start
  let o = produced
  const readLength = (base: number) => {
    let n = base
    if (base === 15) {
      for (;;) {
        if (i >= end) fail('decompress', 'LZ4 block ends inside a length')
        const b = src[i++]!
        n += b
        if (b !== 255) break
      }
    }
    return n
  }
  while (i < end) {
    const token = src[i++]!
    const literals = readLength(token >> 4)
    if (i + literals > end) fail('decompress', 'LZ4 literals run past the block')
    if (o + literals > out.length) fail('decompress', 'LZ4 data is longer than declared')
    out.set(src.subarray(i, i + literals), o)
    i += literals
    o += literals
    if (i === end) break // the last sequence has literals only
    if (i + 2 > end) fail('decompress', 'LZ4 block ends inside a match offset')
    const offset = src[i]! | (src[i + 1]! << 8)
    i += 2
    if (offset === 0 || offset > o) fail('decompress', `LZ4 match offset ${offset} points before the data`)
    const length = readLength(token & 15) + 4
    if (o + length > out.length) fail('decompress', 'LZ4 data is longer than declared')
    for (let k = 0; k < length; k++, o++) out[o] = out[o - offset]!
  }
  return o
}

/** Greedy LZ4 block compressor with a 4-byte hash: good enough for state text, bounded and simple. */
function encodeBlock(src: Uint8Array, start: number, end: number): Uint8Array {
  const out: number[] = []
  const table = new Int32Array(1 << 14).fill(-1)
  const hash = (p: number) => Math.imul(u32(src, p), 2654435761) >>> 18
  let anchor = start
  let i = start
  const writeLength = (n: number) => {
    for (n -= 15; n >= 255; n -= 255) out.push(255)
    out.push(n)
  }
  const limit = end - 12 // the format wants the last 5 bytes as literals and matches to start 12 before the end
  while (i < limit) {
    const h = hash(i)
    const ref = table[h]!
    table[h] = i
    if (ref < 0 || i - ref > 65535 || u32(src, ref) !== u32(src, i)) {
      i++
      continue
    }
    let len = 4
    while (i + len < end - 5 && src[ref + len] === src[i + len]) len++
    const lit = i - anchor
    out.push((Math.min(lit, 15) << 4) | Math.min(len - 4, 15))
    if (lit >= 15) writeLength(lit)
    for (let k = anchor; k < i; k++) out.push(src[k]!)
    out.push((i - ref) & 0xff, (i - ref) >> 8)
    if (len - 4 >= 15) writeLength(len - 4)
    i += len
    anchor = i
  }
  const lit = end - anchor
  out.push(Math.min(lit, 15) << 4)
  if (lit >= 15) writeLength(lit)
  for (let k = anchor; k < end; k++) out.push(src[k]!)
  return Uint8Array.from(out)
}

export function lz4EncodeFrame(src: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = []
  const header = new Uint8Array(7)
  new DataView(header.buffer).setUint32(0, MAGIC, true)
  header[4] = 0x60 // version 1, independent blocks
  header[5] = 0x40 // 64 KiB blocks
  header[6] = (xxh32(header, 4, 6) >>> 8) & 0xff
  parts.push(header)
  for (let at = 0; at < src.length; at += 64 << 10) {
    const end = Math.min(src.length, at + (64 << 10))
    const packed = encodeBlock(src, at, end)
    const raw = packed.length >= end - at
    const size = new Uint8Array(4)
    new DataView(size.buffer).setUint32(0, raw ? (end - at) | 0x80000000 : packed.length, true)
    parts.push(size, raw ? src.subarray(at, end) : packed)
  }
  parts.push(new Uint8Array(4))
  return Buffer.concat(parts)
}
