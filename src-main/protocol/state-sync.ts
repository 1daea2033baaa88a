/**
 * State sync (docs/protocol.md §4): the first state whole, then merge patches against the last state
 * the peer acknowledged, deflated with that state's JSON text as the preset dictionary — field names
 * and unchanged values become back-references. The receiver acknowledges in batches. Pure: the link
 * carries the bytes, and the bench counts them.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { applyPatch, diffState, type Json } from './compression'
import { DEFAULT_MAX_PAYLOAD } from './frame'
import { ProtocolError } from './errors'
import { checkJsonDepth } from './json-limits'

/** Acknowledge after this many states, or this long after the first unacknowledged one. */
export const STATE_ACK_EVERY = 4
export const STATE_ACK_MS = 5000

export interface StateMessage {
  id: number
  delta: boolean
  payload: Buffer
}

export class StateSender {
  private nextId = 0
  private readonly sent = new Map<number, Json>()
  private acked: { id: number; state: Json } | undefined

  next(state: Json): StateMessage {
    const id = (this.nextId = (this.nextId + 1) >>> 0 || 1)
    const base = this.acked
    if (!base) {
      this.remember(id, JSON.parse(JSON.stringify(state)) as Json)
      return { id, delta: false, payload: Buffer.from(JSON.stringify({ state })) }
    }
    const patch = diffState(base.state, state) ?? {}
    // Kept as the receiver will rebuild it, so both sides' dictionary texts match byte for byte.
    this.remember(id, applyPatch(base.state, patch))
    const packed = deflateRawSync(Buffer.from(JSON.stringify(patch)), { dictionary: Buffer.from(JSON.stringify(base.state)) })
    const payload = Buffer.allocUnsafe(4 + packed.length)
    payload.writeUInt32BE(base.id, 0)
    packed.copy(payload, 4)
    return { id, delta: true, payload }
  }

  /** The peer applied state `id` (undefined: it lost its base — send the next one whole). */
  acknowledged(id: number | undefined): void {
    const state = id === undefined ? undefined : this.sent.get(id)
    if (id === undefined || state === undefined) {
      this.acked = undefined
      return
    }
    this.acked = { id, state }
    for (const key of [...this.sent.keys()]) if (key < id) this.sent.delete(key)
  }

  private remember(id: number, state: Json): void {
    this.sent.set(id, state)
    if (this.sent.size > 64) this.sent.delete(this.sent.keys().next().value!)
  }
}

export class StateReceiver {
  private readonly applied = new Map<number, Json>()
  private unacked = 0
  private everAcked = false
  current: Json | undefined

  /**
   * Apply one state message. Returns the state, and whether an acknowledgement is due now; a delta
   * whose base we do not have returns `lost` so the caller asks for the whole state.
   */
  apply(id: number, delta: boolean, payload: Uint8Array, maxBytes = DEFAULT_MAX_PAYLOAD): { state: Json; ackNow: boolean } | { lost: true } {
    let state: Json
    if (delta) {
      const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.length)
      const base = bytes.length >= 4 ? this.applied.get(bytes.readUInt32BE(0)) : undefined
      if (base === undefined) return { lost: true }
      let patch: Json
      try {
        const text = inflateRawSync(bytes.subarray(4), { dictionary: Buffer.from(JSON.stringify(base)), maxOutputLength: maxBytes })
        checkJsonDepth(text, 'a state delta')
        patch = JSON.parse(text.toString('utf8')) as Json
      } catch (err) {
        if (err instanceof ProtocolError) throw err
        throw new ProtocolError('decompress', `a state delta does not inflate against its base: ${(err as Error).message}`)
      }
      state = applyPatch(base, patch)
    } else {
      checkJsonDepth(payload, 'a state')
      state = (JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8')) as { state?: Json }).state ?? null
    }
    this.applied.set(id, state)
    if (this.applied.size > 16) this.applied.delete(this.applied.keys().next().value!)
    this.current = state
    this.unacked++
    const ackNow = !this.everAcked || this.unacked >= STATE_ACK_EVERY
    if (ackNow) this.acked()
    return { state, ackNow }
  }

  /** An acknowledgement went out (now, or from the caller's timer). */
  acked(): void {
    this.everAcked = true
    this.unacked = 0
  }

  get pending(): boolean {
    return this.unacked > 0
  }
}
