/**
 * The DWCP v4 frame: a 32-byte big-endian header followed by the payload (docs/protocol.md §2).
 *
 *   0  magic u32 = 0x44574350 ("DWCP")     16 request id u32
 *   4  version major u8, 5 minor u8         20 sequence u32 (per direction)
 *   6  message type u8, 7 flags u8          24 payload length u32
 *   8  compression u8, 9 key epoch u8       28 CRC-32C of bytes 0..27 and the payload
 *   10 timestamp u48 (unix milliseconds)
 */
import { crc32c } from './crc32c'
import { fail } from './errors'

export const MAGIC = 0x44574350
export const HEADER_BYTES = 32
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024

export const MessageType = {
  hello: 0x01,
  helloReply: 0x02,
  auth: 0x03,
  authOk: 0x04,
  request: 0x10,
  response: 0x11,
  streamData: 0x12,
  streamEnd: 0x13,
  windowUpdate: 0x14,
  ping: 0x20,
  pong: 0x21,
  stateSync: 0x22,
  stateAck: 0x23,
  rekey: 0x30,
  renegotiate: 0x31,
  close: 0x3f,
  error: 0x7f,
} as const
export type MessageTypeName = keyof typeof MessageType
const TYPE_NAMES = new Map<number, MessageTypeName>(Object.entries(MessageType).map(([k, v]) => [v, k as MessageTypeName]))
export const messageTypeName = (type: number): MessageTypeName | undefined => TYPE_NAMES.get(type)

export const Flags = {
  /** Payload is AEAD ciphertext followed by its 16-byte tag. */
  encrypted: 0x01,
  /** Payload is a delta against the last acknowledged state (state sync). */
  delta: 0x02,
  /** More frames of this stream follow. */
  more: 0x04,
  /** An error response: the payload is an error object. */
  failed: 0x08,
  /** Send before queued bulk frames. */
  priority: 0x10,
} as const
const KNOWN_FLAGS = 0x1f

export const Compression = { none: 0, deflate: 1, brotli: 2 } as const
export type CompressionName = keyof typeof Compression
const COMPRESSION_NAMES = ['none', 'deflate', 'brotli'] as const
export const compressionName = (id: number): CompressionName | undefined => COMPRESSION_NAMES[id]

export interface FrameHeader {
  versionMajor: number
  versionMinor: number
  type: number
  flags: number
  compression: number
  keyEpoch: number
  /** Unix milliseconds when the frame was sealed. */
  timestamp: number
  requestId: number
  sequence: number
}

export interface Frame extends FrameHeader {
  /** As on the wire: compressed and/or encrypted according to `compression` and `flags`. */
  payload: Uint8Array
}

export interface DecodedFrame extends Frame {
  payloadLength: number
  checksum: number
}

const MAX_U48 = 2 ** 48 - 1

const put32 = (t: Uint8Array, at: number, v: number) => {
  t[at] = v >>> 24
  t[at + 1] = v >>> 16
  t[at + 2] = v >>> 8
  t[at + 3] = v
}
const get32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0

/** The first 28 bytes of the header; also the AEAD associated data of an encrypted frame. */
export function writeHeader(target: Uint8Array, h: FrameHeader, payloadLength: number): void {
  // Byte stores rather than a DataView: this runs for every frame, and the view's allocation showed.
  put32(target, 0, MAGIC)
  target[4] = h.versionMajor
  target[5] = h.versionMinor
  target[6] = h.type
  target[7] = h.flags
  target[8] = h.compression
  target[9] = h.keyEpoch
  const high = Math.floor(h.timestamp / 4294967296)
  target[10] = high >>> 8
  target[11] = high
  put32(target, 12, h.timestamp >>> 0)
  put32(target, 16, h.requestId)
  put32(target, 20, h.sequence)
  put32(target, 24, payloadLength)
}

/** All fields in range: the common case, kept small so it stays optimized. */
function headerFieldsValid(h: FrameHeader): boolean {
  return (
    (h.versionMajor & 0xff) === h.versionMajor &&
    (h.versionMinor & 0xff) === h.versionMinor &&
    (h.type & 0xff) === h.type &&
    (h.flags & 0xff) === h.flags &&
    (h.compression & 0xff) === h.compression &&
    (h.keyEpoch & 0xff) === h.keyEpoch &&
    h.requestId >>> 0 === h.requestId &&
    h.sequence >>> 0 === h.sequence &&
    h.timestamp >= 0 &&
    h.timestamp <= MAX_U48 &&
    Math.floor(h.timestamp) === h.timestamp
  )
}

/** Which field is wrong, for the error message (only reached on bad input). */
function rejectHeaderFields(h: FrameHeader): never {
  for (const key of ['versionMajor', 'versionMinor', 'type', 'flags', 'compression', 'keyEpoch'] as const) {
    if ((h[key] & 0xff) !== h[key]) fail('bad_field', `${key} must be a byte (0..255), got ${h[key]}`)
  }
  for (const key of ['requestId', 'sequence'] as const) {
    if (h[key] >>> 0 !== h[key]) fail('bad_field', `${key} must fit 32 bits, got ${h[key]}`)
  }
  return fail('bad_field', `timestamp must be unix milliseconds within 48 bits, got ${h.timestamp}`)
}

export function encodeFrame(frame: Frame, maxPayload = DEFAULT_MAX_PAYLOAD): Buffer {
  if (!headerFieldsValid(frame)) rejectHeaderFields(frame)
  if (frame.payload.length > maxPayload) fail('too_large', `payload of ${frame.payload.length} bytes is over the limit of ${maxPayload}`)
  const out = Buffer.allocUnsafe(HEADER_BYTES + frame.payload.length)
  writeHeader(out, frame, frame.payload.length)
  out.set(frame.payload, HEADER_BYTES)
  put32(out, 28, crc32c(out, crc32c(out, 0, 0, 28), HEADER_BYTES, out.length))
  return out
}

/**
 * How many bytes the frame starting at `bytes[0]` occupies, once its header is there; undefined
 * while fewer than 32 bytes have arrived. Rejects a bad magic or an over-long length before the
 * payload is buffered, so a hostile peer cannot make us wait for (or allocate) 4 GiB.
 */
export function frameLength(bytes: Uint8Array, maxPayload = DEFAULT_MAX_PAYLOAD): number | undefined {
  if (bytes.length < HEADER_BYTES) return undefined
  if (get32(bytes, 0) !== MAGIC) fail('bad_magic', `not a DWCP v4 frame: magic is 0x${get32(bytes, 0).toString(16).padStart(8, '0')}, expected 0x44574350`)
  const length = get32(bytes, 24)
  if (length > maxPayload) fail('too_large', `frame declares a ${length}-byte payload, over the limit of ${maxPayload}`)
  return HEADER_BYTES + length
}

/** Decode exactly one frame occupying all of `bytes`. The payload is a view, not a copy. */
export function decodeFrame(bytes: Uint8Array, maxPayload = DEFAULT_MAX_PAYLOAD): DecodedFrame {
  if (bytes.length < HEADER_BYTES) fail('truncated', `a v4 frame needs a 32-byte header, got ${bytes.length} bytes`)
  const total = frameLength(bytes, maxPayload)!
  if (bytes.length < total) fail('truncated', `frame declares a ${total - HEADER_BYTES}-byte payload but only ${bytes.length - HEADER_BYTES} bytes follow the header`)
  if (bytes.length > total) fail('bad_length', `${bytes.length - total} bytes follow the frame's declared payload`)
  const versionMajor = bytes[4]!
  if (versionMajor !== 4) fail('bad_version', `v4 frame codec got a version ${versionMajor} header`)
  const checksum = get32(bytes, 28)
  const actual = crc32c(bytes, crc32c(bytes, 0, 0, 28), HEADER_BYTES, total)
  if (actual !== checksum) fail('bad_checksum', `checksum mismatch: header says 0x${checksum.toString(16).padStart(8, '0')}, content gives 0x${actual.toString(16).padStart(8, '0')}`)
  const flags = bytes[7]!
  if (flags & ~KNOWN_FLAGS) fail('bad_field', `unknown flag bits 0x${(flags & ~KNOWN_FLAGS).toString(16)}`)
  const type = bytes[6]!
  if (!TYPE_NAMES.has(type)) fail('bad_field', `unknown message type 0x${type.toString(16).padStart(2, '0')}`)
  const compression = bytes[8]!
  if (compression > 2) fail('bad_field', `unknown compression id ${compression} (0 none, 1 deflate, 2 brotli)`)
  return {
    versionMajor,
    versionMinor: bytes[5]!,
    type,
    flags,
    compression,
    keyEpoch: bytes[9]!,
    timestamp: ((bytes[10]! << 8) | bytes[11]!) * 4294967296 + get32(bytes, 12),
    requestId: get32(bytes, 16),
    sequence: get32(bytes, 20),
    payloadLength: total - HEADER_BYTES,
    checksum,
    payload: bytes.subarray(HEADER_BYTES, total),
  }
}
