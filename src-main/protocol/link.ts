/**
 * One established link over TCP, the same on both ends: requests and responses by id, byte streams
 * with credit, heartbeats measuring RTT, state sync by delta against the last acknowledged state,
 * in-place renegotiation (pinning), graceful close. Refused frames are counted and never delivered;
 * after 16 the link is closed. Every pending call ends — answered, timed out or "disconnected" —
 * in bounded time.
 */
import type { Socket } from 'node:net'
import type { Json } from './compression'
import { STATE_ACK_MS, StateReceiver, StateSender } from './state-sync'
import { ProtocolError } from './errors'
import { Flags } from './frame'
import { parseObject, SealedV4Framing, V3Framing, type Framing, type LinkMessage } from './framing'
import { checkJsonDepth } from './json-limits'
import { negotiate } from './negotiate'
import { noRejections, type RejectedCounters, type RejectReason } from './record'

export const MAX_REJECTIONS = 16
export const STREAM_WINDOW = 1024 * 1024

export type RequestHandler = (method: string, payload: unknown, link: Link) => Promise<unknown> | unknown
export type StreamHandler = (method: string, payload: unknown, link: Link) => AsyncIterable<Uint8Array>
/** Told about an error that was contained inside the link (a bug or a failing listener, not bad input). */
export type LinkErrorReporter = (err: Error, where: string) => void

export interface LinkOptions {
  socket: Socket
  framing: Framing
  /** Bytes already read past the handshake. */
  leftover?: Buffer
  peerName: string
  heartbeatMs: number
  maxPayload: number
  onRequest?: RequestHandler
  onStream?: StreamHandler
  /** Versions this side accepts when the peer asks to renegotiate. */
  versions: readonly string[]
  cipherSuite: string
  /** The v4 keys of a link that speaks v3 framing for now (pinned at connect), for when the pin is lifted. */
  keptV4?: SealedV4Framing
  /** Where contained errors go (the host's log); nothing from the network may end the process. */
  onError?: LinkErrorReporter
}

interface Pending {
  resolve: (value: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
  method: string
}

interface IncomingStream {
  push: (chunk: Uint8Array | null, error?: Error) => void
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value ?? null))
/** The body of a request: a JSON object with a method name. */
function parseRequest(bytes: Uint8Array): Record<string, unknown> {
  const body = parseObject(bytes)
  if (typeof body.method !== 'string' || body.method.length === 0 || body.method.length > 256) throw new ProtocolError('bad_field', 'a request needs a method name (text of 1 to 256 characters)')
  return body
}
const parse = (bytes: Uint8Array): unknown => {
  if (bytes.length === 0) return null
  checkJsonDepth(bytes, 'a message payload')
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'))
}

export class Link {
  framing: Framing
  readonly peerName: string
  readonly rejected: RejectedCounters = noRejections()
  bytesIn = 0
  bytesOut = 0
  rttMs: number | null = null
  lastSeen = Date.now()
  closed = false
  closeReason = ''
  /** The state the peer last sent, as applied here. */
  peerState: Json | undefined

  private buffer: Buffer = Buffer.alloc(0)
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly incoming = new Map<number, IncomingStream>()
  private readonly credit = new Map<number, { available: number; wake?: () => void }>()
  private held: LinkMessage[] | null = null
  private switching: { resolve: (version: string) => void; reject: (err: Error) => void } | null = null
  private heartbeat: NodeJS.Timeout | undefined
  private readonly listeners = { close: [] as ((reason: string) => void)[], state: [] as ((state: Json) => void)[], rejected: [] as ((reason: RejectReason, message: string) => void)[], renegotiated: [] as ((version: string) => void)[] }
  private sealedFraming: SealedV4Framing | undefined
  private readonly stateOut = new StateSender()
  private readonly stateIn = new StateReceiver()
  private appliedId = 0
  private drainWaiters: (() => void)[] = []
  private ackTimer: NodeJS.Timeout | undefined

  constructor(private readonly o: LinkOptions) {
    this.framing = o.framing
    this.sealedFraming = o.framing instanceof SealedV4Framing ? o.framing : o.keptV4
    this.peerName = o.peerName
    o.socket.setNoDelay(true)
    o.socket.on('data', (chunk: Buffer) => this.guarded('reading a frame', () => this.receive(chunk)))
    o.socket.on('drain', () => this.drainWaiters.splice(0).forEach((w) => w()))
    o.socket.on('close', () => this.finish(this.closeReason || `${this.peerName} disconnected`))
    o.socket.on('error', (err) => (this.closeReason ||= `${this.peerName}: ${err.message}`))
    if (o.leftover?.length) queueMicrotask(() => this.guarded('reading a frame', () => this.receive(o.leftover!)))
    this.heartbeat = setInterval(() => this.guarded('sending a heartbeat', () => this.beat()), o.heartbeatMs)
    this.heartbeat.unref()
    queueMicrotask(() => this.guarded('sending a heartbeat', () => this.beat()))
  }

  get version(): string {
    return this.framing.version
  }
  get encrypted(): boolean {
    return this.framing.encrypted
  }
  get cipherSuite(): string {
    return this.framing.encrypted ? this.o.cipherSuite : 'none (v3, unencrypted)'
  }
  get keyEpoch(): number {
    return this.sealedFraming?.sealer.epoch ?? 0
  }
  get remoteAddress(): string {
    return `${this.o.socket.remoteAddress ?? '?'}:${this.o.socket.remotePort ?? '?'}`
  }
  compressionRatio(): number {
    return this.framing.compressionRatio()
  }

  on(event: 'close', fn: (reason: string) => void): void
  on(event: 'state', fn: (state: Json) => void): void
  on(event: 'rejected', fn: (reason: RejectReason, message: string) => void): void
  on(event: 'renegotiated', fn: (version: string) => void): void
  on(event: keyof Link['listeners'], fn: (...args: never[]) => void): void {
    ;(this.listeners[event] as unknown[]).push(fn)
  }

  // ---------- calls ----------

  request(method: string, payload: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new ProtocolError('closed', `${this.peerName} is not connected (${this.closeReason})`))
    const id = this.takeId()
    const timeoutMs = options.timeoutMs ?? 30_000
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new ProtocolError('timeout', `${this.peerName} did not answer ${method} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer, method })
      this.send({ type: 'request', requestId: id, flags: 0, payload: json({ method, payload }) })
    })
  }

  /** A call whose answer is a byte stream; the peer sends only as much as we have granted. */
  async *requestStream(method: string, payload: unknown): AsyncGenerator<Uint8Array> {
    if (this.closed) throw new ProtocolError('closed', `${this.peerName} is not connected`)
    const id = this.takeId()
    const queue: (Uint8Array | null | Error)[] = []
    let wake: (() => void) | undefined
    this.incoming.set(id, {
      push: (chunk, error) => {
        queue.push(error ?? chunk)
        wake?.()
      },
    })
    this.send({ type: 'request', requestId: id, flags: Flags.more, payload: json({ method, payload, stream: true }) })
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r))
        const item = queue.shift()!
        if (item === null) return
        if (item instanceof Error) throw item
        yield item
        // Credit back what was consumed: the sender never has more than a window in flight.
        this.send({ type: 'windowUpdate', requestId: id, flags: 0, payload: json({ credit: item.length }) })
      }
    } finally {
      this.incoming.delete(id)
    }
  }

  /** Send our state: whole at first, then deltas against what the peer acknowledged (state-sync.ts). */
  sendState(state: Json): void {
    const m = this.stateOut.next(state)
    this.send({ type: 'stateSync', requestId: m.id, flags: m.delta ? Flags.delta : 0, payload: m.payload })
  }

  /** Pin this link to `version` in place (docs/protocol.md §5.2); resolves with the version spoken after. */
  renegotiate(versions: string[], timeoutMs = 5000): Promise<string> {
    if (this.closed) return Promise.reject(new ProtocolError('closed', `${this.peerName} is not connected`))
    if (this.switching) return Promise.reject(new ProtocolError('bad_field', 'a renegotiation is already under way'))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.switching = null
        this.release()
        reject(new ProtocolError('timeout', `${this.peerName} did not answer the renegotiation within ${timeoutMs} ms`))
      }, timeoutMs)
      this.switching = {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      }
      this.write({ type: 'renegotiate', requestId: 0, flags: 0, payload: json({ versions }) })
      this.held = []
    })
  }

  close(reason = 'closed'): void {
    if (this.closed) return
    try {
      this.write({ type: 'close', requestId: 0, flags: 0, payload: json({ reason }) })
    } catch {
      // already gone
    }
    this.closeReason = reason
    this.o.socket.end()
    setTimeout(() => this.o.socket.destroy(), 1000).unref()
    this.finish(reason)
  }

  /** Drop the connection without a goodbye (a failing link, or a test of one). */
  destroy(reason: string): void {
    this.closeReason = reason
    this.o.socket.destroy()
    this.finish(reason)
  }

  // ---------- internals ----------

  private takeId(): number {
    const id = this.nextId
    this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1
    return id
  }

  private beat(): void {
    if (this.closed) return
    if (Date.now() - this.lastSeen > this.o.heartbeatMs * 3 + 1000) return this.destroy(`${this.peerName} stopped answering heartbeats`)
    this.send({ type: 'ping', requestId: 0, flags: Flags.priority, payload: json({ sentAt: performance.timeOrigin + performance.now() }) })
  }

  private send(m: LinkMessage): void {
    if (this.closed) return
    if (this.held) {
      this.held.push(m)
      return
    }
    this.write(m)
  }

  private write(m: LinkMessage): void {
    for (const bytes of this.framing.encode(m)) {
      this.bytesOut += bytes.length
      this.o.socket.write(bytes)
    }
  }

  private release(): void {
    const held = this.held ?? []
    this.held = null
    for (const m of held) this.write(m)
  }

  private receive(chunk: Buffer): void {
    this.bytesIn += chunk.length
    this.lastSeen = Date.now()
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
    while (!this.closed && this.buffer.length) {
      let decoded
      try {
        decoded = this.framing.decode(this.buffer)
      } catch (err) {
        // A frame we cannot even delimit: the stream is lost. Say why and close.
        this.rejected.malformed++
        this.emitRejected('malformed', (err as Error).message)
        return this.destroy(`${this.peerName} sent an unreadable frame: ${(err as Error).message}`)
      }
      if (!decoded) return
      this.buffer = this.buffer.subarray(decoded.consumed)
      if (decoded.rejected) {
        if (this.countRejection(decoded.rejected.reason, decoded.rejected.error.message)) return
        continue
      }
      if (decoded.message) this.dispatch(decoded.message)
    }
  }

  /** Count a refused frame; past MAX_REJECTIONS the link is closed (returns true then). */
  private countRejection(reason: RejectReason, message: string): boolean {
    this.rejected[reason]++
    this.emitRejected(reason, message)
    const total = Object.values(this.rejected).reduce((a, b) => a + b, 0)
    if (total < MAX_REJECTIONS) return false
    // The frames were still delimited, so the peer can be told why before the link goes.
    this.close(`${total} frames refused; closing the link`)
    return true
  }

  private emitRejected(reason: RejectReason, message: string): void {
    this.notify('rejected', (fn) => fn(reason, message))
  }

  /** Call every listener of `event`; one that throws is reported, and the others still run. */
  private notify<E extends keyof Link['listeners']>(event: E, call: (fn: Link['listeners'][E][number]) => void): void {
    for (const fn of this.listeners[event]) {
      try {
        call(fn)
      } catch (err) {
        this.report(err, `a ${event} listener`)
      }
    }
  }

  /**
   * Run `fn` from an event the network drives. An error escaping it is a bug, not bad input (that is
   * refused where it is read): the state of this link is unknown, so it is closed, and only it.
   */
  private guarded(where: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.report(err, where)
      if (!this.closed) this.destroy(`${this.peerName}: internal error while ${where}; closing the link`)
    }
  }

  private report(err: unknown, where: string): void {
    try {
      this.o.onError?.(err instanceof Error ? err : new Error(String(err)), `${this.peerName}: ${where}`)
    } catch {
      // A failing reporter must not take the link down with it.
    }
  }

  private dispatch(m: LinkMessage): void {
    try {
      switch (m.type) {
        case 'request':
          return void this.answer(m).catch((err: unknown) => this.report(err, 'answering a request'))
        case 'response':
          return this.settle(m)
        case 'ping':
          return this.send({ type: 'pong', requestId: 0, flags: Flags.priority, payload: m.payload })
        case 'pong': {
          const sentAt = (parse(m.payload) as { sentAt?: number } | null)?.sentAt
          if (typeof sentAt === 'number') this.rttMs = Math.max(0, performance.timeOrigin + performance.now() - sentAt)
          return
        }
        case 'stateSync':
          return this.applyState(m)
        case 'stateAck':
          return this.stateOut.acknowledged((parse(m.payload) as { state?: number }).state)
        case 'streamData':
          return this.incoming.get(m.requestId)?.push(m.payload)
        case 'streamEnd': {
          const failed = m.flags & Flags.failed ? new ProtocolError('remote', String((parse(m.payload) as { message?: string })?.message ?? 'stream failed')) : undefined
          return this.incoming.get(m.requestId)?.push(null, failed)
        }
        case 'windowUpdate': {
          const c = this.credit.get(m.requestId)
          if (c) {
            c.available += Number((parse(m.payload) as { credit?: number }).credit) || 0
            c.wake?.()
          }
          return
        }
        case 'renegotiate':
          return this.onRenegotiate(m)
        case 'close':
          this.closeReason = `${this.peerName} closed the link: ${String((parse(m.payload) as { reason?: string })?.reason ?? '')}`
          this.o.socket.end()
          return this.finish(this.closeReason)
        case 'error': {
          const e = parse(m.payload) as { message?: string }
          return this.destroy(`${this.peerName} reported an error: ${e?.message ?? 'unknown'}`)
        }
        default:
          return
      }
    } catch (err) {
      this.countRejection('malformed', (err as Error).message)
    }
  }

  private async answer(m: LinkMessage): Promise<void> {
    let body: Record<string, unknown>
    try {
      body = parseRequest(m.payload)
    } catch (err) {
      return this.refuseRequest(m.requestId, err as Error)
    }
    const method = body.method as string
    if (body.stream === true) return this.serveStream(m.requestId, method, body.payload)
    try {
      if (!this.o.onRequest) throw new Error(`${method}: this side answers no requests`)
      const result = await this.o.onRequest(method, body.payload, this)
      this.send({ type: 'response', requestId: m.requestId, flags: 0, payload: json(result) })
    } catch (err) {
      this.send({ type: 'response', requestId: m.requestId, flags: Flags.failed, payload: json({ code: (err as ProtocolError).kind ?? 'failed', message: (err as Error).message }) })
    }
  }

  /** A request we cannot read is answered by its id with the reason, and counted like any refused frame. */
  private refuseRequest(id: number, err: Error): void {
    const code = err instanceof ProtocolError ? err.kind : 'bad_field'
    this.send({ type: 'response', requestId: id, flags: Flags.failed, payload: json({ code, message: `request refused: ${err.message}` }) })
    this.countRejection('malformed', err.message)
  }

  private async serveStream(id: number, method: string, payload: unknown): Promise<void> {
    const credit = { available: STREAM_WINDOW, wake: undefined as (() => void) | undefined }
    this.credit.set(id, credit)
    try {
      if (!this.o.onStream) throw new Error(`${method}: this side offers no streams`)
      for await (const chunk of this.o.onStream(method, payload, this)) {
        for (let at = 0; at < chunk.length; ) {
          while (credit.available <= 0 && !this.closed) await new Promise<void>((r) => (credit.wake = r))
          if (this.closed) return
          const piece = chunk.subarray(at, at + Math.min(credit.available, 64 * 1024))
          credit.available -= piece.length
          at += piece.length
          this.send({ type: 'streamData', requestId: id, flags: Flags.more, payload: piece })
          // Socket backpressure: wait for the kernel buffer to drain before queueing more.
          if (this.o.socket.writableNeedDrain) await new Promise<void>((r) => this.drainWaiters.push(r))
        }
      }
      this.send({ type: 'streamEnd', requestId: id, flags: 0, payload: new Uint8Array(0) })
    } catch (err) {
      this.send({ type: 'streamEnd', requestId: id, flags: Flags.failed, payload: json({ message: (err as Error).message }) })
    } finally {
      this.credit.delete(id)
    }
  }

  private settle(m: LinkMessage): void {
    const p = this.pending.get(m.requestId)
    if (!p) return
    this.pending.delete(m.requestId)
    clearTimeout(p.timer)
    const value = parse(m.payload)
    if (m.flags & Flags.failed) p.reject(new ProtocolError('remote', `${this.peerName}: ${String((value as { message?: string })?.message ?? 'the call failed')}`))
    else p.resolve(value)
  }

  private applyState(m: LinkMessage): void {
    const result = this.stateIn.apply(m.requestId, (m.flags & Flags.delta) !== 0, m.payload, this.o.maxPayload)
    if ('lost' in result) {
      // We do not have the base: acknowledge nothing, and the peer sends the whole state next.
      this.send({ type: 'stateAck', requestId: 0, flags: 0, payload: json({}) })
      return
    }
    this.appliedId = m.requestId
    this.peerState = result.state
    if (result.ackNow) this.sendAck()
    else if (!this.ackTimer) {
      this.ackTimer = setTimeout(() => this.sendAck(), STATE_ACK_MS)
      this.ackTimer.unref()
    }
    this.notify('state', (fn) => fn(result.state))
  }

  private sendAck(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer)
    this.ackTimer = undefined
    this.stateIn.acked()
    this.send({ type: 'stateAck', requestId: 0, flags: 0, payload: json({ state: this.appliedId }) })
  }

  private onRenegotiate(m: LinkMessage): void {
    const body = parse(m.payload) as { versions?: string[]; version?: string; error?: string }
    if (this.switching && (body.version || body.error)) {
      // The answer: the peer's last frame in the old framing. Switch, then release what we held.
      const s = this.switching
      this.switching = null
      if (body.error) {
        this.release()
        return s.reject(new ProtocolError('no_common_version', `${this.peerName}: ${body.error}`))
      }
      this.switchFraming(body.version!)
      this.release()
      return s.resolve(body.version!)
    }
    if (Array.isArray(body.versions)) {
      let version: string
      try {
        version = negotiate(body.versions, this.o.versions)
      } catch (err) {
        return this.write({ type: 'renegotiate', requestId: 0, flags: 0, payload: json({ error: (err as Error).message }) })
      }
      this.write({ type: 'renegotiate', requestId: 0, flags: 0, payload: json({ version }) })
      this.switchFraming(version)
    }
  }

  private switchFraming(version: string): void {
    if (version === this.framing.version) return
    if (version.startsWith('3.')) this.framing = new V3Framing(this.o.maxPayload)
    else if (this.sealedFraming) {
      // Back to v4 under fresh keys: both sides move to the next epoch at the switch.
      this.sealedFraming.sealer.rotate()
      this.sealedFraming.opener.rotate()
      this.framing = this.sealedFraming
    } else throw new ProtocolError('not_allowed', `${this.peerName} has no v4 keys (a v3 agent): it stays on v3`)
    this.notify('renegotiated', (fn) => fn(version))
  }

  private finish(reason: string): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = undefined
    if (this.ackTimer) clearTimeout(this.ackTimer)
    const wasClosed = this.closed
    this.closed = true
    this.closeReason ||= reason
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      p.reject(new ProtocolError('closed', `${this.peerName} disconnected before answering ${p.method} (${this.closeReason})`))
      this.pending.delete(id)
    }
    for (const s of this.incoming.values()) s.push(null, new ProtocolError('closed', `${this.peerName} disconnected during a stream`))
    for (const c of this.credit.values()) c.wake?.()
    if (this.switching) this.switching.reject(new ProtocolError('closed', `${this.peerName} disconnected during renegotiation`))
    this.switching = null
    if (!wasClosed) this.notify('close', (fn) => fn(this.closeReason))
  }
}
