/**
 * Record protection of a v4 link (docs/protocol.md §6.3–6.4): AEAD per frame with per-direction
 * sequence numbers, key epochs that rotate after a byte or time limit, and the checks that refuse a
 * replayed, reordered, stale or tampered frame — each counted, none delivered.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'
import { crc32c } from './crc32c'
import { fail, ProtocolError } from './errors'
import { DEFAULT_MAX_PAYLOAD, Flags, HEADER_BYTES, writeHeader, type DecodedFrame, type FrameHeader } from './frame'
import { keyAndIv, nextTrafficSecret, type Suite } from './handshake'

export const TAG_BYTES = 16
/** A frame whose timestamp is further than this from our clock is stale. */
export const STALE_WINDOW_MS = 30_000

export interface RotationLimits {
  bytes: number
  ms: number
}
export const DEFAULT_ROTATION: RotationLimits = { bytes: 64 * 1024 * 1024, ms: 10 * 60_000 }

export type RejectReason = 'replay' | 'reorder' | 'stale' | 'tampered' | 'malformed'
export type RejectedCounters = Record<RejectReason, number>
export const noRejections = (): RejectedCounters => ({ replay: 0, reorder: 0, stale: 0, tampered: 0, malformed: 0 })

interface DirectionKeys {
  epoch: number
  secret: Uint8Array
  key: Uint8Array
  iv: Uint8Array
}

function keysFor(secret: Uint8Array, epoch: number): DirectionKeys {
  return { epoch, secret, ...keyAndIv(secret) }
}

const nonceFor = (iv: Uint8Array, sequence: number): Buffer => {
  const nonce = Buffer.from(iv)
  // The sequence is a 96-bit big-endian integer below 2^32: only the last four bytes change.
  nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ sequence) >>> 0, 8)
  return nonce
}



function cipherFor(suite: Suite, key: Uint8Array, nonce: Buffer) {
  return suite === 'chacha20-poly1305' ? createCipheriv(suite, key, nonce, { authTagLength: TAG_BYTES }) : createCipheriv(suite, key, nonce, { authTagLength: TAG_BYTES })
}

function decipherFor(suite: Suite, key: Uint8Array, nonce: Buffer) {
  return suite === 'chacha20-poly1305' ? createDecipheriv(suite, key, nonce, { authTagLength: TAG_BYTES }) : createDecipheriv(suite, key, nonce, { authTagLength: TAG_BYTES })
}


/** Sealing side: one per direction. */
export class Sealer {
  private keys: DirectionKeys
  private sequence = 0
  private bytesUnderKey = 0
  private keySince: number

  constructor(
    secret: Uint8Array,
    private readonly suite: Suite,
    private readonly limits: RotationLimits = DEFAULT_ROTATION,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = keysFor(secret, 0)
    this.keySince = now()
  }

  get epoch(): number {
    return this.keys.epoch
  }

  /** True when the next frame should be a rekey: the byte or time limit is reached, or the sequence would wrap. */
  dueForRekey(): boolean {
    return this.bytesUnderKey >= this.limits.bytes || this.now() - this.keySince >= this.limits.ms || this.sequence >= 0xffff_fff0
  }

  /** Seal one frame: header (with the ciphertext length) as associated data, CRC-32C over it all. */
  seal(h: Omit<FrameHeader, 'sequence' | 'keyEpoch' | 'timestamp' | 'versionMajor' | 'versionMinor'>, plaintext: Uint8Array, maxPayload = DEFAULT_MAX_PAYLOAD): Buffer {
    const length = plaintext.length + TAG_BYTES
    if (length > maxPayload) fail('too_large', `payload of ${plaintext.length} bytes is over the limit of ${maxPayload}`)
    const header: FrameHeader = { ...h, versionMajor: 4, versionMinor: 0, flags: h.flags | Flags.encrypted, keyEpoch: this.keys.epoch & 0xff, timestamp: this.now(), sequence: this.sequence }
    const out = Buffer.allocUnsafe(HEADER_BYTES + length)
    writeHeader(out, header, length)
    const cipher = cipherFor(this.suite, this.keys.key, nonceFor(this.keys.iv, this.sequence))
    cipher.setAAD(out.subarray(0, 28), { plaintextLength: plaintext.length })
    const body = cipher.update(plaintext)
    body.copy(out, HEADER_BYTES)
    cipher.final()
    cipher.getAuthTag().copy(out, HEADER_BYTES + body.length)
    out.writeUInt32BE(crc32c(out, crc32c(out, 0, 0, 28), HEADER_BYTES, out.length), 28)
    this.sequence++
    this.bytesUnderKey += out.length
    return out
  }

  /** Move to the next epoch (after sending the rekey frame under the current one). */
  rotate(): void {
    this.keys = keysFor(nextTrafficSecret(this.keys.secret), this.keys.epoch + 1)
    this.bytesUnderKey = 0
    this.keySince = this.now()
  }
}

/** Opening side: one per direction; refuses and counts. */
export class Opener {
  private keys: DirectionKeys
  private expected = 0
  readonly rejected: RejectedCounters = noRejections()

  constructor(
    secret: Uint8Array,
    private readonly suite: Suite,
    private readonly now: () => number = Date.now,
    private readonly staleWindowMs = STALE_WINDOW_MS,
  ) {
    this.keys = keysFor(secret, 0)
  }

  get epoch(): number {
    return this.keys.epoch
  }

  /**
   * The plaintext of a decoded (checksum-verified) frame. The tag is checked first, under the nonce
   * of the frame's own sequence: an authentic frame at the wrong place is a replay or a reorder,
   * anything else is tampering.
   */
  open(frame: DecodedFrame, raw: Uint8Array): Uint8Array {
    if (!(frame.flags & Flags.encrypted)) return this.reject('tampered', 'a plaintext frame on an encrypted link')
    if (frame.keyEpoch !== (this.keys.epoch & 0xff)) return this.reject('tampered', `frame under key epoch ${frame.keyEpoch}, the link is at ${this.keys.epoch & 0xff}`)
    if (frame.payload.length < TAG_BYTES) return this.reject('tampered', 'encrypted payload shorter than its tag')
    const body = frame.payload.subarray(0, frame.payload.length - TAG_BYTES)
    const tag = frame.payload.subarray(frame.payload.length - TAG_BYTES)
    let plaintext: Buffer
    try {
      const decipher = decipherFor(this.suite, this.keys.key, nonceFor(this.keys.iv, frame.sequence))
      decipher.setAAD(raw.subarray(0, 28), { plaintextLength: body.length })
      decipher.setAuthTag(tag)
      plaintext = Buffer.concat([decipher.update(body), decipher.final()])
    } catch {
      return this.reject('tampered', `frame ${frame.sequence} fails authentication (altered, or not from this peer)`)
    }
    if (frame.sequence < this.expected) return this.reject('replay', `frame ${frame.sequence} was already received (expected ${this.expected})`)
    if (frame.sequence > this.expected) return this.reject('reorder', `frame ${frame.sequence} arrived where ${this.expected} was expected: frames were dropped or injected`)
    if (Math.abs(this.now() - frame.timestamp) > this.staleWindowMs) return this.reject('stale', `frame ${frame.sequence} is stamped ${Math.round((this.now() - frame.timestamp) / 1000)} s from our clock (window ±${this.staleWindowMs / 1000} s)`)
    this.expected++
    return plaintext
  }

  rotate(): void {
    this.keys = keysFor(nextTrafficSecret(this.keys.secret), this.keys.epoch + 1)
  }

  countMalformed(): void {
    this.rejected.malformed++
  }

  private reject(reason: RejectReason, message: string): never {
    this.rejected[reason]++
    throw new ProtocolError(reason === 'malformed' ? 'bad_field' : reason, message)
  }
}
