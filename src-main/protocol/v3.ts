/**
 * DWCP v3 as NovaCron speaks it (layouts in testdata/dwcp-v3/README.md, summarised in
 * docs/protocol.md §7): the 64-byte UDP frame header, the HDE v3 compressed container and the TCP
 * federation message with its text handshake. v3 has no encryption and, for UDP, no checksum: a
 * link that speaks it is unencrypted and is shown so.
 */
import { lz4DecodeFrame, lz4EncodeFrame } from './lz4'
import { ZSTDDecoder } from 'zstddec'
import { DEFAULT_MAX_PAYLOAD, MAGIC } from './frame'
import { fail, ProtocolError } from './errors'

// ---------- HDE v3 container ----------

export const HDE_HEADER_BYTES = 12
export const HdeAlgorithm = { none: 0, lz4: 1, zstd: 2, zstdMax: 3, brotli: 4 } as const
export const HdeMode = { datacenter: 0, internet: 1, hybrid: 2 } as const

export interface HdeContainer {
  version: 3
  isDelta: boolean
  algorithm: number
  mode: number
  originalSize: number
  compressedSize: number
  /** The compressed bytes as carried. */
  data: Uint8Array
  /** After decompression. */
  payload: Uint8Array
}

export function decodeHde(bytes: Uint8Array, maxSize = DEFAULT_MAX_PAYLOAD): HdeContainer {
  if (bytes.length < HDE_HEADER_BYTES) fail('truncated', `an HDE v3 container needs a 12-byte header, got ${bytes.length} bytes`)
  if (bytes[0] !== 3) fail('bad_version', `HDE container version ${bytes[0]}, expected 3`)
  const isDeltaByte = bytes[1]!
  if (isDeltaByte > 1) fail('bad_field', `HDE isDelta byte must be 0 or 1, got ${isDeltaByte}`)
  const algorithm = bytes[2]!
  if (algorithm > 4) fail('bad_field', `unknown HDE algorithm ${algorithm} (0 none, 1 lz4, 2 zstd, 3 zstd max, 4 brotli→zstd)`)
  const mode = bytes[3]!
  if (mode > 2) fail('bad_field', `unknown HDE network mode ${mode} (0 datacenter, 1 internet, 2 hybrid)`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const originalSize = view.getUint32(4)
  const compressedSize = view.getUint32(8)
  if (originalSize > maxSize) fail('too_large', `HDE container declares ${originalSize} original bytes, over the limit of ${maxSize}`)
  const available = bytes.length - HDE_HEADER_BYTES
  if (compressedSize > available) fail('truncated', `HDE container declares ${compressedSize} compressed bytes but ${available} follow`)
  if (compressedSize < available) fail('bad_length', `${available - compressedSize} bytes follow the HDE container's data`)
  const data = bytes.subarray(HDE_HEADER_BYTES)
  const payload = inflateHde(algorithm, data, originalSize)
  return { version: 3, isDelta: isDeltaByte === 1, algorithm, mode, originalSize, compressedSize, data, payload }
}

function inflateHde(algorithm: number, data: Uint8Array, originalSize: number): Uint8Array {
  if (algorithm === HdeAlgorithm.none) {
    if (data.length !== originalSize) fail('bad_length', `uncompressed HDE data is ${data.length} bytes but the header says ${originalSize}`)
    return data
  }
  let out: Uint8Array
  try {
    // One byte of slack lets an overlong stream show itself instead of being cut silently.
    out = algorithm === HdeAlgorithm.lz4 ? lz4DecodeFrame(data, originalSize) : zstdBounded(data, originalSize)
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    return fail('decompress', `HDE ${algorithm === 1 ? 'LZ4' : 'zstd'} data does not decompress: ${(err as Error).message ?? String(err)}`)
  }
  if (out.length !== originalSize) fail('decompress', `HDE data decompresses to ${out.length} bytes, the header says ${originalSize}`)
  return out
}

/**
 * Refuse a zstd frame whose header asks for more memory than the container may produce, before the
 * decoder allocates its window: a fuzzed header can otherwise cost seconds and megabytes.
 */
function checkZstdHeader(data: Uint8Array, limit: number): void {
  if (data.length < 6) fail('decompress', 'zstd frame truncated in its header')
  const view = new DataView(data.buffer, data.byteOffset, data.length)
  if (view.getUint32(0, true) !== 0xfd2fb528) fail('decompress', 'not a zstd frame: bad magic')
  const fhd = data[4]!
  if (fhd & 0x08) fail('decompress', 'zstd frame header reserved bit is set')
  if (fhd & 0x03) fail('decompress', 'zstd frames with a dictionary are not supported')
  const singleSegment = (fhd & 0x20) !== 0
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6]!
  let at = 5
  let window = 0
  if (!singleSegment) {
    const wd = data[at++]!
    const base = 2 ** (10 + (wd >> 3))
    window = base + (base / 8) * (wd & 7)
  }
  if (fcsBytes) {
    if (at + fcsBytes > data.length) fail('decompress', 'zstd frame truncated in its content size')
    const fcs = fcsBytes === 1 ? data[at]! : fcsBytes === 2 ? view.getUint16(at, true) + 256 : fcsBytes === 4 ? view.getUint32(at, true) : Number(view.getBigUint64(at, true))
    if (fcs !== limit) fail('decompress', `zstd frame says ${fcs} bytes, the container ${limit}`)
  }
  if (window > 2 ** 27) fail('decompress', `zstd window of ${window} bytes is over the 128 MiB decoders accept`)
}

/**
 * zstd through the reference C decoder compiled to WebAssembly (zstddec): it is fuzzed upstream and
 * writes into a buffer of exactly the declared size, so corrupt input ends in an error, never a hang
 * (a pure-JS decoder looped forever on one of our fuzzed frames). Loading it is asynchronous:
 * `zstdReady` is awaited by every entry point before the first v3 frame is read.
 */
const zstd = new ZSTDDecoder()
export const zstdReady: Promise<void> = zstd.init()
let zstdLoaded = false
void zstdReady.then(() => (zstdLoaded = true))

function zstdBounded(data: Uint8Array, limit: number): Uint8Array {
  checkZstdHeader(data, limit)
  if (!zstdLoaded) fail('decompress', 'the zstd decoder is still loading; try again in a moment')
  if (limit === 0) return new Uint8Array(0)
  // On an error the decoder returns a code, not a length, and zstddec then hands back the rest of its
  // heap. With room for one byte more than declared, that rest is always longer than `limit`, so only a
  // real decode of exactly the declared size is accepted.
  const out = zstd.decode(data, limit + 1)
  if (out.length !== limit) fail('decompress', `HDE zstd data does not decompress to the ${limit} bytes its header declares`)
  return out
}

/** Raw-block zstd frame: valid for every zstd decoder, written without a zstd encoder of our own. */
function zstdStored(data: Uint8Array): Uint8Array {
  const BLOCK = 128 * 1024
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK))
  const out = new Uint8Array(4 + 1 + 4 + blocks * 3 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, 0xfd2fb528, true)
  out[4] = 0xa0 // single segment, 4-byte frame content size
  view.setUint32(5, data.length, true)
  let at = 9
  for (let b = 0; b < blocks; b++) {
    const chunk = data.subarray(b * BLOCK, Math.min(data.length, (b + 1) * BLOCK))
    const header = (chunk.length << 3) | (b === blocks - 1 ? 1 : 0) // raw block, last-block bit
    out[at] = header & 0xff
    out[at + 1] = (header >>> 8) & 0xff
    out[at + 2] = (header >>> 16) & 0xff
    out.set(chunk, at + 3)
    at += 3 + chunk.length
  }
  return out
}

export interface HdeInput {
  isDelta?: boolean
  algorithm: number
  mode?: number
  payload: Uint8Array
  /** Already-compressed bytes to carry as they are (re-encoding a decoded container byte for byte). */
  data?: Uint8Array
}

export function encodeHde(input: HdeInput): Uint8Array {
  const { algorithm, payload } = input
  const mode = input.mode ?? HdeMode.hybrid
  if (!Number.isInteger(algorithm) || algorithm < 0 || algorithm > 4) fail('bad_field', `unknown HDE algorithm ${algorithm}`)
  if (!Number.isInteger(mode) || mode < 0 || mode > 2) fail('bad_field', `unknown HDE network mode ${mode}`)
  const data = input.data ?? (algorithm === 0 ? payload : algorithm === 1 ? lz4EncodeFrame(payload) : zstdStored(payload))
  const out = new Uint8Array(HDE_HEADER_BYTES + data.length)
  const view = new DataView(out.buffer)
  out[0] = 3
  out[1] = input.isDelta ? 1 : 0
  out[2] = algorithm
  out[3] = mode
  view.setUint32(4, payload.length)
  view.setUint32(8, data.length)
  out.set(data, HDE_HEADER_BYTES)
  return out
}

// ---------- v3 UDP frame ----------

export const V3_UDP_HEADER_BYTES = 64

export interface V3UdpFrame {
  magic: number
  version: 3
  flags: number
  sequence: number
  timestamp: number
  payloadLength: number
  priority: number
  compression: number
  /** The payload as carried (an HDE container when compression ≠ 0). */
  raw: Uint8Array
  /** After decompression. */
  payload: Uint8Array
}

export function decodeV3Udp(bytes: Uint8Array, maxSize = DEFAULT_MAX_PAYLOAD): V3UdpFrame {
  if (bytes.length < V3_UDP_HEADER_BYTES) fail('truncated', `a v3 UDP frame needs a 64-byte header, got ${bytes.length} bytes`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const magic = view.getUint32(0, true)
  if (magic !== MAGIC) fail('bad_magic', `not a DWCP v3 frame: magic reads 0x${magic.toString(16).padStart(8, '0')} (bytes 50 43 57 44 expected)`)
  const version = view.getUint16(4, true)
  if (version !== 3) fail('bad_version', `v3 UDP frame with version ${version}`)
  const payloadLength = view.getUint16(16, true)
  const available = bytes.length - V3_UDP_HEADER_BYTES
  if (payloadLength > available) fail('truncated', `v3 frame declares a ${payloadLength}-byte payload but the packet holds ${available}`)
  if (payloadLength < available) fail('bad_length', `${available - payloadLength} bytes follow the v3 frame's declared payload`)
  const compression = bytes[21]!
  const raw = bytes.subarray(V3_UDP_HEADER_BYTES)
  const payload = compression === 0 ? raw : decodeHde(raw, maxSize).payload
  return {
    magic,
    version: 3,
    flags: view.getUint16(6, true),
    sequence: view.getUint32(8, true),
    timestamp: view.getUint32(12, true),
    payloadLength,
    priority: bytes[20]!,
    compression,
    raw,
    payload,
  }
}

export interface V3UdpInput {
  flags?: number
  sequence: number
  timestamp: number
  priority?: number
  /** 0: payload as is; otherwise an HDE algorithm and the payload is wrapped in a container. */
  compression?: number
  payload: Uint8Array
  raw?: Uint8Array
}

export function encodeV3Udp(input: V3UdpInput): Uint8Array {
  const compression = input.compression ?? 0
  const raw = input.raw ?? (compression === 0 ? input.payload : encodeHde({ algorithm: compression, payload: input.payload }))
  if (raw.length > 0xffff) fail('too_large', `a v3 UDP payload is at most 65535 bytes, got ${raw.length}`)
  const out = new Uint8Array(V3_UDP_HEADER_BYTES + raw.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint16(4, 3, true)
  view.setUint16(6, input.flags ?? 0, true)
  view.setUint32(8, input.sequence >>> 0, true)
  view.setUint32(12, input.timestamp >>> 0, true)
  view.setUint16(16, raw.length, true)
  // 18..19 checksum: the reference never fills it.
  out[20] = input.priority ?? 0
  out[21] = compression
  out.set(raw, V3_UDP_HEADER_BYTES)
  return out
}

// ---------- v3 federation message (TCP) ----------

export const V3_FEDERATION_HEADER_BYTES = 16
export const FederationType = { keepAlive: 0, stateSync: 1, consensus: 2, baseline: 3, fullSync: 4 } as const

export interface V3FederationMessage {
  messageType: number
  length: number
  timestamp: number
  raw: Uint8Array
  /** State sync carries an HDE container: this is what it decompresses to. */
  payload: Uint8Array
}

/** Bytes the message at the start of `bytes` occupies, or undefined before its header is in. */
export function federationLength(bytes: Uint8Array, maxSize = DEFAULT_MAX_PAYLOAD): number | undefined {
  if (bytes.length < V3_FEDERATION_HEADER_BYTES) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, V3_FEDERATION_HEADER_BYTES)
  const type = view.getUint32(0)
  if (type > 4) fail('bad_field', `unknown v3 federation message type ${type}`)
  const length = view.getUint32(4)
  if (length > maxSize) fail('too_large', `v3 federation message declares ${length} bytes, over the limit of ${maxSize}`)
  return V3_FEDERATION_HEADER_BYTES + length
}

export function decodeV3Federation(bytes: Uint8Array, maxSize = DEFAULT_MAX_PAYLOAD): V3FederationMessage {
  if (bytes.length < V3_FEDERATION_HEADER_BYTES) fail('truncated', `a v3 federation message needs a 16-byte header, got ${bytes.length} bytes`)
  const total = federationLength(bytes, maxSize)!
  if (bytes.length < total) fail('truncated', `v3 federation message declares ${total - 16} payload bytes but ${bytes.length - 16} follow`)
  if (bytes.length > total) fail('bad_length', `${bytes.length - total} bytes follow the v3 federation message`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16)
  const messageType = view.getUint32(0)
  const seconds = view.getBigUint64(8)
  if (seconds > BigInt(Number.MAX_SAFE_INTEGER)) fail('bad_field', `v3 federation timestamp ${seconds} is out of range`)
  const raw = bytes.subarray(16)
  const payload = messageType === FederationType.stateSync ? decodeHde(raw, maxSize).payload : raw
  return { messageType, length: total - 16, timestamp: Number(seconds), raw, payload }
}

export interface V3FederationInput {
  messageType: number
  timestamp: number
  payload: Uint8Array
  /** For state sync: the HDE algorithm to wrap the payload with (default none). */
  algorithm?: number
  raw?: Uint8Array
}

export function encodeV3Federation(input: V3FederationInput): Uint8Array {
  if (!Number.isInteger(input.messageType) || input.messageType < 0 || input.messageType > 4) fail('bad_field', `unknown v3 federation message type ${input.messageType}`)
  const raw = input.raw ?? (input.messageType === FederationType.stateSync ? encodeHde({ algorithm: input.algorithm ?? 0, payload: input.payload }) : input.payload)
  const out = new Uint8Array(16 + raw.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, input.messageType)
  view.setUint32(4, raw.length)
  view.setBigUint64(8, BigInt(Math.floor(input.timestamp)))
  out.set(raw, 16)
  return out
}

// ---------- v3 text handshake ----------

export interface V3Handshake {
  version: string
  clusterId: string
  capabilities: string[]
  timestamp: number
}

export function formatV3Handshake(h: V3Handshake): string {
  for (const part of [h.version, h.clusterId, ...h.capabilities]) {
    if (/[|[\]\s]/.test(part) || part === '') fail('bad_field', `v3 handshake fields may not be empty or contain '|', brackets or spaces: ${JSON.stringify(part)}`)
  }
  return `HANDSHAKE|${h.version}|${h.clusterId}|[${h.capabilities.join(' ')}]|${Math.floor(h.timestamp)}`
}

export function parseV3Handshake(text: string): V3Handshake {
  const parts = text.split('|')
  if (parts.length !== 5 || parts[0] !== 'HANDSHAKE') fail('handshake', `not a v3 handshake: expected HANDSHAKE|version|cluster|[capabilities]|seconds`)
  const [, version, clusterId, caps, seconds] = parts as [string, string, string, string, string]
  if (!caps.startsWith('[') || !caps.endsWith(']')) fail('handshake', 'v3 handshake capabilities must be in brackets')
  if (!/^\d{1,15}$/.test(seconds)) fail('handshake', `v3 handshake timestamp is not unix seconds: ${JSON.stringify(seconds.slice(0, 20))}`)
  if (!version || !clusterId) fail('handshake', 'v3 handshake needs a version and a cluster id')
  const inner = caps.slice(1, -1).trim()
  return { version, clusterId, capabilities: inner ? inner.split(/\s+/) : [], timestamp: Number(seconds) }
}
