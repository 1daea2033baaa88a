/**
 * One decoder for every framing a v4 peer reads, returning plain JSON fields named as in
 * testdata/dwcp-v3/vectors.json (camelCase, `payload_hex` after decompression): what
 * `dwcp protocol decode` prints.
 */
import { decodeFrame, Flags, MAGIC, messageTypeName, compressionName } from './frame'
import { decompressWith } from './compression'
import { decodeHde, decodeV3Federation, decodeV3Udp } from './v3'
import { fail } from './errors'

export const FRAME_KINDS = ['v4', 'v3-udp', 'hde-v3', 'v3-federation'] as const
export type FrameKind = (typeof FRAME_KINDS)[number]

export function parseHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '').replace(/^0x/i, '')
  if (clean.length % 2 !== 0) fail('bad_field', `hex input has an odd number of digits (${clean.length})`)
  if (!/^[0-9a-fA-F]*$/.test(clean)) fail('bad_field', 'hex input holds characters other than 0-9 and a-f')
  return Buffer.from(clean, 'hex')
}

/** Which framing the bytes look like, by their first bytes. */
export function detectKind(bytes: Uint8Array): FrameKind {
  if (bytes.length >= 4) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, 4)
    if (view.getUint32(0) === MAGIC) return 'v4'
    if (view.getUint32(0, true) === MAGIC) return 'v3-udp'
  }
  return bytes[0] === 3 ? 'hde-v3' : 'v3-federation'
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')

export function decodeToJson(bytes: Uint8Array, kind: FrameKind = detectKind(bytes)): Record<string, unknown> {
  switch (kind) {
    case 'v4': {
      const f = decodeFrame(bytes)
      const encrypted = (f.flags & Flags.encrypted) !== 0
      // An encrypted payload cannot be opened without the link's keys: shown as carried.
      const payload = encrypted ? f.payload : decompressWith(f.compression, f.payload)
      return {
        kind,
        magic: MAGIC,
        version: f.versionMajor,
        versionMinor: f.versionMinor,
        type: f.type,
        typeName: messageTypeName(f.type),
        flags: f.flags,
        encrypted,
        compression: f.compression,
        compressionName: compressionName(f.compression),
        keyEpoch: f.keyEpoch,
        timestamp: f.timestamp,
        requestId: f.requestId,
        sequence: f.sequence,
        payloadLength: f.payloadLength,
        checksum: f.checksum,
        payload_hex: hex(payload),
      }
    }
    case 'v3-udp': {
      const f = decodeV3Udp(bytes)
      return { kind, magic: f.magic, version: f.version, flags: f.flags, sequence: f.sequence, timestamp: f.timestamp, payloadLength: f.payloadLength, priority: f.priority, compression: f.compression, payload_hex: hex(f.payload) }
    }
    case 'hde-v3': {
      const c = decodeHde(bytes)
      return { kind, version: c.version, isDelta: c.isDelta, algorithm: c.algorithm, mode: c.mode, originalSize: c.originalSize, compressedSize: c.compressedSize, payload_hex: hex(c.payload) }
    }
    case 'v3-federation': {
      const m = decodeV3Federation(bytes)
      return { kind, messageType: m.messageType, length: m.length, timestamp: m.timestamp, payload_hex: hex(m.payload) }
    }
    default:
      return fail('bad_field', `unknown frame kind ${String(kind)}; one of ${FRAME_KINDS.join(', ')}`)
  }
}
