import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { crc32c } from './crc32c'
import { decodeFrame, encodeFrame, Flags, messageTypeName, MessageType, HEADER_BYTES } from './frame'
import { decodeToJson, parseHex, detectKind, type FrameKind } from './decode'
import { zstdReady, decodeHde, decodeV3Federation, decodeV3Udp, encodeHde, encodeV3Federation, encodeV3Udp, formatV3Handshake, parseV3Handshake } from './v3'
import { ProtocolError } from './errors'
import { applyPatch, CompressionChooser, diffState } from './compression'

beforeAll(() => zstdReady)

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))
const v3 = JSON.parse(readFileSync(here('./testdata/dwcp-v3/vectors.json'), 'utf8')) as {
  vectors: { name: string; kind: FrameKind; hex: string; expect: Record<string, unknown> }[]
}
const docVectors = (() => {
  const doc = readFileSync(here('../../docs/protocol.md'), 'utf8')
  const block = /```dwcp-vectors\n([\s\S]*?)```/.exec(doc)![1]!
  return block.trim().split('\n').map((line) => line.split(' ') as [string, string])
})()

describe('CRC-32C', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
  })
})

describe('v4 vectors of docs/protocol.md', () => {
  it('covers every message type', () => {
    const names = new Set(docVectors.map(([name]) => name))
    for (const type of Object.keys(MessageType)) expect(names).toContain(type)
  })
  it.each(docVectors)('%s decodes and re-encodes byte for byte', (name, hex) => {
    const bytes = Buffer.from(hex, 'hex')
    const frame = decodeFrame(bytes)
    expect(messageTypeName(frame.type)).toBe(name.split('-')[0])
    expect(frame.versionMajor).toBe(4)
    expect(frame.timestamp).toBe(1763870400000)
    expect(encodeFrame(frame).toString('hex')).toBe(hex)
  })
  it('shows the decompressed state sync payload', () => {
    const hex = docVectors.find(([n]) => n === 'stateSync')![1]
    const json = decodeToJson(parseHex(hex))
    expect(json.flags).toBe(Flags.delta)
    expect(JSON.parse(Buffer.from(json.payload_hex as string, 'hex').toString()).cpu).toEqual({ 'edge-001': 0.5 })
  })
})

describe('v4 frames refused', () => {
  const good = Buffer.from(docVectors[0]![1], 'hex')
  const kindOf = (fn: () => unknown) => {
    try {
      fn()
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError)
      return (err as ProtocolError).kind
    }
    return 'accepted'
  }
  it('names what is wrong', () => {
    expect(kindOf(() => decodeFrame(good.subarray(0, 20)))).toBe('truncated')
    expect(kindOf(() => decodeFrame(good.subarray(0, good.length - 1)))).toBe('truncated')
    expect(kindOf(() => decodeFrame(Buffer.concat([good, Buffer.from([0])])))).toBe('bad_length')
    const flipped = Buffer.from(good)
    flipped[HEADER_BYTES + 3]! ^= 0x40
    expect(kindOf(() => decodeFrame(flipped))).toBe('bad_checksum')
    const magic = Buffer.from(good)
    magic[0] = 0
    expect(kindOf(() => decodeFrame(magic))).toBe('bad_magic')
    const huge = Buffer.from(good)
    huge.writeUInt32BE(0xffffffff, 24)
    expect(kindOf(() => decodeFrame(huge))).toBe('too_large')
    expect(kindOf(() => decodeFrame(good, 10))).toBe('too_large')
    expect(kindOf(() => encodeFrame({ ...decodeFrame(good), type: 256 }))).toBe('bad_field')
  })
})

describe('v3 vectors (NovaCron)', () => {
  it.each(v3.vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const bytes = Buffer.from(v.hex, 'hex')
    if (v.expect.error) {
      expect(() => decodeToJson(bytes, v.kind)).toThrow(ProtocolError)
      return
    }
    const json = decodeToJson(bytes, v.kind)
    for (const [key, value] of Object.entries(v.expect)) expect(json[key], key).toEqual(value)
    expect(detectKind(bytes)).toBe(v.kind === 'v3-federation' && bytes[0] === 3 ? 'hde-v3' : detectKind(bytes))
    // Re-encoded from the decoded fields, carrying the compressed bytes as they were: identical.
    const again =
      v.kind === 'hde-v3'
        ? encodeHde({ ...decodeHde(bytes) })
        : v.kind === 'v3-udp'
          ? encodeV3Udp({ ...decodeV3Udp(bytes) })
          : encodeV3Federation({ ...decodeV3Federation(bytes) })
    expect(Buffer.from(again).toString('hex')).toBe(v.hex)
  })

  it('writes LZ4 and zstd containers that decode back', () => {
    const payload = Buffer.from(JSON.stringify({ state: 'x'.repeat(3000), n: [1, 2, 3] }))
    for (const algorithm of [0, 1, 2, 3, 4]) {
      const c = encodeHde({ algorithm, payload, isDelta: true, mode: 1 })
      const back = decodeHde(c)
      expect(Buffer.from(back.payload).equals(payload)).toBe(true)
      expect(back.isDelta).toBe(true)
    }
    const udp = encodeV3Udp({ sequence: 9, timestamp: 77, compression: 1, payload, priority: 1, flags: 1 })
    expect(Buffer.from(decodeV3Udp(udp).payload).equals(payload)).toBe(true)
  })

  it('reads and writes the text handshake', () => {
    const text = formatV3Handshake({ version: '3.0.0', clusterId: 'edge-001', capabilities: ['HDE', 'AMST'], timestamp: 1732300007 })
    expect(text).toBe('HANDSHAKE|3.0.0|edge-001|[HDE AMST]|1732300007')
    expect(parseV3Handshake(text).capabilities).toEqual(['HDE', 'AMST'])
    const vector = v3.vectors.find((v) => v.name === 'v3-federation type 4')!
    const parsed = parseV3Handshake(Buffer.from(vector.expect.payload_hex as string, 'hex').toString())
    expect(parsed.clusterId).toBe('cluster-7')
    expect(() => parseV3Handshake('HELLO|x')).toThrow(/not a v3 handshake/)
  })
})

describe('compression and delta', () => {
  it('compresses only when it pays', () => {
    const chooser = new CompressionChooser()
    expect(chooser.choose(Buffer.from('small')).compression).toBe(0)
    expect(chooser.choose(Buffer.from('a'.repeat(4000))).compression).toBe(1)
    expect(chooser.choose(Buffer.from('a'.repeat(4000)), true).compression).toBe(2)
    const random = new Uint8Array(4000).map(() => Math.floor(Math.random() * 256))
    expect(chooser.choose(random).compression).toBe(0)
    expect(chooser.choose(Buffer.from('a'.repeat(4000))).compression).toBe(0) // backed off after a poor gain
    expect(chooser.ratio).toBeGreaterThan(1)
  })
  it('diffs and patches state', () => {
    const a = { devices: { d1: { cpu: 1, region: 'eu' }, d2: { cpu: 2 } } }
    const b = { devices: { d1: { cpu: 3, region: 'eu' }, d3: { cpu: 1 } } }
    const patch = diffState(a, b)!
    expect(patch).toEqual({ devices: { d1: { cpu: 3 }, d2: null, d3: { cpu: 1 } } })
    expect(applyPatch(a, patch)).toEqual(b)
    expect(diffState(b, b)).toBeUndefined()
  })
})
