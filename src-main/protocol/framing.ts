/**
 * How link messages become bytes: v4 frames sealed by the record layer (with per-message
 * compression), or v3 federation messages carrying JSON envelopes (docs/protocol.md §7). A link
 * switches framing in place when it is pinned to another version.
 */
import { CompressionChooser, decompressWith } from './compression'
import { ProtocolError } from './errors'
import { Compression, decodeFrame, encodeFrame, frameLength, MessageType, messageTypeName, type MessageTypeName } from './frame'
import { Opener, Sealer, type RejectReason } from './record'
import { decodeV3Federation, encodeV3Federation, federationLength, FederationType, HdeAlgorithm } from './v3'
import { checkJsonDepth } from './json-limits'

export interface LinkMessage {
  type: MessageTypeName
  requestId: number
  flags: number
  payload: Uint8Array
}

export type Decoded = { consumed: number; message?: LinkMessage; rejected?: { reason: RejectReason; error: ProtocolError } } | undefined

export interface Framing {
  readonly version: string
  readonly encrypted: boolean
  encode(message: LinkMessage): Buffer[]
  /** The next whole message at the start of `buffer`, undefined until one has arrived. */
  decode(buffer: Buffer): Decoded
  /** Plain bytes ÷ wire bytes of what this side sent. */
  compressionRatio(): number
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value))

/** Plaintext v4 frames: only the hello, its reply and refusals travel like this. */
export class PlainV4Framing implements Framing {
  readonly version = '4.0.0'
  readonly encrypted = false
  private sequence = 0
  encode(m: LinkMessage): Buffer[] {
    return [encodeFrame({ versionMajor: 4, versionMinor: 0, type: MessageType[m.type], flags: m.flags, compression: 0, keyEpoch: 0, timestamp: Date.now(), requestId: m.requestId, sequence: this.sequence++, payload: m.payload })]
  }
  decode(buffer: Buffer): Decoded {
    const total = frameLength(buffer)
    if (total === undefined || buffer.length < total) return undefined
    const frame = decodeFrame(buffer.subarray(0, total))
    return { consumed: total, message: { type: messageTypeName(frame.type)!, requestId: frame.requestId, flags: frame.flags, payload: decompressWith(frame.compression, frame.payload) } }
  }
  compressionRatio(): number {
    return 1
  }
}

/** Encrypted v4 frames: compress, then seal; rekey when the record layer says the key is spent. */
export class SealedV4Framing implements Framing {
  readonly version = '4.0.0'
  readonly encrypted = true
  private chooser = new CompressionChooser()

  constructor(
    readonly sealer: Sealer,
    readonly opener: Opener,
    private readonly maxPayload: number,
  ) {}

  /** Compress only when the peers agreed on enhanced_compression; otherwise every frame goes plain. */
  setCompression(enabled: boolean): void {
    this.chooser = new CompressionChooser(enabled ? undefined : [Compression.none])
  }

  encode(m: LinkMessage): Buffer[] {
    const out: Buffer[] = []
    if (this.sealer.dueForRekey()) {
      out.push(this.sealer.seal({ type: MessageType.rekey, flags: 0, compression: 0, requestId: 0 }, json({ epoch: this.sealer.epoch + 1 }), this.maxPayload))
      this.sealer.rotate()
    }
    const bulk = m.type === 'stateSync' || m.type === 'streamData'
    const { compression, bytes } = this.chooser.choose(m.payload, bulk)
    out.push(this.sealer.seal({ type: MessageType[m.type], flags: m.flags, compression, requestId: m.requestId }, bytes, this.maxPayload))
    return out
  }

  decode(buffer: Buffer): Decoded {
    const total = frameLength(buffer, this.maxPayload)
    if (total === undefined || buffer.length < total) return undefined
    const raw = buffer.subarray(0, total)
    let frame
    try {
      frame = decodeFrame(raw, this.maxPayload)
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err
      this.opener.countMalformed()
      return { consumed: total, rejected: { reason: 'malformed', error: err } }
    }
    let plaintext: Uint8Array
    try {
      plaintext = this.opener.open(frame, raw)
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err
      return { consumed: total, rejected: { reason: err.kind as RejectReason, error: err } }
    }
    const type = messageTypeName(frame.type)!
    if (type === 'rekey') {
      this.opener.rotate()
      return { consumed: total }
    }
    return { consumed: total, message: { type, requestId: frame.requestId, flags: frame.flags, payload: decompressWith(frame.compression, plaintext, this.maxPayload) } }
  }

  compressionRatio(): number {
    return this.chooser.ratio
  }
}

/**
 * v3 federation framing: keep-alives carry ping/pong, everything else is a JSON envelope in a state
 * sync message (HDE none below 512 bytes, LZ4 above). No encryption, no integrity: shown as such.
 */
export class V3Framing implements Framing {
  readonly version = '3.0.0'
  readonly encrypted = false
  private plain = 0
  private wire = 0

  constructor(private readonly maxPayload: number) {}

  encode(m: LinkMessage): Buffer[] {
    const seconds = Math.floor(Date.now() / 1000)
    if (m.type === 'ping' || m.type === 'pong') {
      const body = json({ [m.type]: JSON.parse(Buffer.from(m.payload).toString('utf8') || 'null') })
      return [Buffer.from(encodeV3Federation({ messageType: FederationType.keepAlive, timestamp: seconds, payload: body }))]
    }
    const envelope = json({ type: m.type, id: m.requestId, flags: m.flags, body: Buffer.from(m.payload).toString('base64') })
    const algorithm = envelope.length < 512 ? HdeAlgorithm.none : HdeAlgorithm.lz4
    const bytes = Buffer.from(encodeV3Federation({ messageType: FederationType.stateSync, timestamp: seconds, payload: envelope, algorithm }))
    this.plain += envelope.length + 16
    this.wire += bytes.length
    return [bytes]
  }

  decode(buffer: Buffer): Decoded {
    const total = federationLength(buffer, this.maxPayload)
    if (total === undefined || buffer.length < total) return undefined
    const message = decodeV3Federation(buffer.subarray(0, total), this.maxPayload)
    if (message.messageType === FederationType.keepAlive) {
      const body = parseObject(message.payload)
      const type = 'ping' in body ? 'ping' : 'pong'
      return { consumed: total, message: { type, requestId: 0, flags: 0, payload: json(body[type]) } }
    }
    if (message.messageType !== FederationType.stateSync) return { consumed: total }
    const e = parseObject(message.payload)
    if (typeof e.type !== 'string' || !(e.type in MessageType) || typeof e.body !== 'string') throw new ProtocolError('bad_field', 'v3 envelope without a known type and a body')
    return { consumed: total, message: { type: e.type as MessageTypeName, requestId: Number(e.id) >>> 0, flags: Number(e.flags) & 0xff, payload: Buffer.from(e.body, 'base64') } }
  }

  compressionRatio(): number {
    return this.wire === 0 ? 1 : this.plain / this.wire
  }
}

export function parseObject(bytes: Uint8Array): Record<string, unknown> {
  checkJsonDepth(bytes, 'a message payload')
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'))
  } catch {
    throw new ProtocolError('bad_field', 'a message payload is not JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError('bad_field', 'a message payload must be a JSON object')
  return value as Record<string, unknown>
}
