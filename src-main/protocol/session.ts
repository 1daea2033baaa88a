/**
 * Turning a fresh TCP connection into a Link: the v4 handshake of docs/protocol.md §6 (or the v3
 * text handshake of §7) on both sides, with a deadline so a silent peer cannot hold a connection.
 */
import { connect as tcpConnect, type Socket } from 'node:net'
import { ProtocolError } from './errors'
import { decodeFrame, DEFAULT_MAX_PAYLOAD, frameLength, MAGIC, messageTypeName } from './frame'
import { PlainV4Framing, SealedV4Framing, V3Framing, parseObject, type LinkMessage } from './framing'
import {
  createClientHello,
  finishClientHandshake,
  respondToHello,
  verifyClientHello,
  parseClientHello,
  type Agreement,
  type KeyExchange,
  consoleKemCertificate,
  verifyConsoleKem,
  type ClientHello,
  type ConsoleKem,
  type Identity,
  type PinnedConsoleKem,
  type ParsedHello,
  type Suite,
} from './handshake'
import type { HandshakeGuard } from './handshake-guard'
import { Link, type LinkErrorReporter, type RequestHandler, type StreamHandler } from './link'
import { FEATURES, type Feature } from './negotiate'
import { Opener, Sealer, DEFAULT_ROTATION, type RotationLimits } from './record'
import { decodeV3Federation, encodeV3Federation, federationLength, FederationType, formatV3Handshake, parseV3Handshake } from './v3'

export const HANDSHAKE_TIMEOUT_MS = 10_000
/** A hello is about 10 KB (keys, signature, features); a frame declaring more is refused before it is read. */
export const MAX_HELLO_BYTES = 64 * 1024
/** What the console buffers from a peer that has not authenticated yet (hello and auth together). */
export const MAX_PREAUTH_BYTES = 256 * 1024
const json = (value: unknown) => Buffer.from(JSON.stringify(value))
const KEX_LABEL: Record<KeyExchange, string> = { x25519mlkem768: 'X25519MLKEM768 + ML-DSA-65', x25519: 'X25519 (classical) + ML-DSA-65' }

/** Reads whole messages off a socket during the handshake, with a deadline. */
class HandshakeReader {
  private buffer = Buffer.alloc(0)
  private waiter: (() => void) | undefined
  private failure: Error | undefined
  private readonly onData = (chunk: Buffer) => {
    if (this.buffer.length + chunk.length > this.maxBytes) {
      this.failure ??= new ProtocolError('too_large', `the peer sent more than ${this.maxBytes} bytes during the handshake`)
      this.socket.destroy()
    } else this.buffer = Buffer.concat([this.buffer, chunk])
    this.waiter?.()
  }
  private readonly onEnd = () => {
    this.failure ??= new ProtocolError('closed', 'the peer closed the connection during the handshake')
    this.waiter?.()
  }
  private readonly onError = (err: Error) => {
    this.failure ??= new ProtocolError('closed', `connection failed during the handshake: ${err.message}`)
    this.waiter?.()
  }

  constructor(
    private readonly socket: Socket,
    private readonly deadline: number,
    private readonly maxBytes = Number.MAX_SAFE_INTEGER,
  ) {
    socket.on('data', this.onData)
    socket.on('close', this.onEnd)
    socket.on('error', this.onError)
  }

  async next<T>(take: (buffer: Buffer) => { value: T; consumed: number } | undefined): Promise<T> {
    for (;;) {
      if (this.buffer.length) {
        const got = take(this.buffer)
        if (got) {
          this.buffer = this.buffer.subarray(got.consumed)
          return got.value
        }
      }
      if (this.failure) throw this.failure
      const left = this.deadline - Date.now()
      if (left <= 0) throw new ProtocolError('timeout', `the handshake did not complete within ${HANDSHAKE_TIMEOUT_MS / 1000} s`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiter = () => (clearTimeout(timer), resolve())
      })
      this.waiter = undefined
    }
  }

  /** Stop reading for the handshake; what is left belongs to the link. */
  detach(): Buffer {
    this.socket.off('data', this.onData)
    this.socket.off('close', this.onEnd)
    this.socket.off('error', this.onError)
    return this.buffer
  }
}

const readFrame = (framing: PlainV4Framing | SealedV4Framing) => (buffer: Buffer) => {
  const decoded = framing.decode(buffer)
  if (!decoded) return undefined
  if (decoded.rejected) throw decoded.rejected.error
  return decoded.message ? { value: decoded.message, consumed: decoded.consumed } : { value: undefined, consumed: decoded.consumed }
}

async function nextMessage(reader: HandshakeReader, framing: PlainV4Framing | SealedV4Framing): Promise<LinkMessage> {
  for (;;) {
    const m = await reader.next(readFrame(framing))
    if (m) return m
  }
}

function refusalOf(m: LinkMessage): ProtocolError {
  const body = (() => {
    try {
      return parseObject(m.payload)
    } catch {
      return {}
    }
  })()
  const kind = (typeof body.code === 'string' ? body.code : 'handshake') as ProtocolError['kind']
  return new ProtocolError(kind, `the console refused the connection: ${String(body.message ?? 'no reason given')}`)
}

// ---------- client (agent) ----------

export interface ClientOptions {
  host: string
  port: number
  identity: Identity
  name: string
  versions: readonly string[]
  features?: readonly Feature[]
  suites?: readonly Suite[]
  /** The console fingerprint pinned at enrolment; absent on the first connection. */
  consoleFingerprint?: string
  /** The console's long-term KEM key received at an earlier connection: the handshake is then resumed, without the console signing. */
  consoleKem?: PinnedConsoleKem
  token?: string
  capabilities: Record<string, unknown>
  /** Speak v3 from the first byte (an old agent, or one started with --protocol v3). */
  protocol?: 'v4' | 'v3'
  heartbeatMs?: number
  maxPayload?: number
  rotation?: RotationLimits
  onRequest?: RequestHandler
  onStream?: StreamHandler
  /** A hello made ahead of time (createClientHello), so the handshake does not wait for keygen and signing. */
  hello?: ClientHello
  /** Told about a failure inside the link that was contained (a bug, not bad input). */
  onError?: LinkErrorReporter
}

export interface ClientResult {
  link: Link
  agentId: string
  consoleFingerprint: string | null
  agreement: Agreement
  handshakeMs: number
  /** How the console proved its identity this time. */
  auth: 'signature' | 'kem' | 'none'
  /** A (new) certificate for the console's long-term KEM key, checked against its identity: keep it for the next connection. */
  consoleKem?: PinnedConsoleKem
}

/**
 * Frames are compressed only when both sides agreed on the feature (the console may hold it back by
 * flag). A client reads the list from the console's reply, so an entry may be anything.
 */
const compressionAgreed = (agreement: Agreement): boolean => agreement.features.some((f: Feature | null) => f?.name === 'enhanced_compression')

export function openSocket(host: string, port: number, timeoutMs = HANDSHAKE_TIMEOUT_MS): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port })
    const timer = setTimeout(() => (socket.destroy(), reject(new ProtocolError('timeout', `no connection to ${host}:${port} within ${timeoutMs} ms`))), timeoutMs)
    socket.once('connect', () => (clearTimeout(timer), resolve(socket)))
    socket.once('error', (err) => (clearTimeout(timer), reject(new ProtocolError('closed', `cannot connect to ${host}:${port}: ${err.message}`))))
  })
}

export async function connectToConsole(o: ClientOptions): Promise<ClientResult> {
  const started = performance.now()
  const socket = await openSocket(o.host, o.port)
  try {
    return o.protocol === 'v3' ? await clientV3(socket, o, started) : await clientV4(socket, o, started)
  } catch (err) {
    socket.destroy()
    throw err
  }
}

async function clientV4(socket: Socket, o: ClientOptions, started: number): Promise<ClientResult> {
  const maxPayload = o.maxPayload ?? DEFAULT_MAX_PAYLOAD
  const reader = new HandshakeReader(socket, Date.now() + HANDSHAKE_TIMEOUT_MS)
  const plain = new PlainV4Framing()
  const hello =
    o.hello ??
    createClientHello({ identity: o.identity, name: o.name, versions: o.versions, features: o.features ?? FEATURES, ...(o.suites ? { suites: o.suites } : {}), ...(o.consoleKem ? { consoleKem: o.consoleKem } : {}) })
  for (const b of plain.encode({ type: 'hello', requestId: 0, flags: 0, payload: hello.payload })) socket.write(b)
  const reply = await nextMessage(reader, plain)
  if (reply.type === 'error') throw refusalOf(reply)
  if (reply.type !== 'helloReply') throw new ProtocolError('handshake', `expected helloReply, got ${reply.type}`)
  const side = finishClientHandshake(hello, reply.payload, o.consoleFingerprint)
  const sealed = new SealedV4Framing(new Sealer(side.secrets.clientToServer, side.agreement.suite, o.rotation ?? DEFAULT_ROTATION), new Opener(side.secrets.serverToClient, side.agreement.suite), maxPayload)
  for (const b of sealed.encode({ type: 'auth', requestId: 0, flags: 0, payload: json({ ...(o.token ? { token: o.token } : {}), capabilities: o.capabilities }) })) socket.write(b)
  const answer = await nextMessage(reader, sealed)
  if (answer.type === 'error') throw refusalOf(answer)
  if (answer.type !== 'authOk') throw new ProtocolError('handshake', `expected authOk, got ${answer.type}`)
  const ok = parseObject(answer.payload)
  const version = String(ok.version ?? side.agreement.version)
  // Only a signed handshake authenticated the identity that the certificate is checked against.
  const consoleKem = ok.consoleKem !== undefined && side.auth === 'signature' ? verifyConsoleKem(ok.consoleKem, side.serverIdentity) : undefined
  sealed.setCompression(compressionAgreed(side.agreement))
  const link = new Link({
    socket,
    framing: version.startsWith('3.') ? new V3Framing(maxPayload) : sealed,
    leftover: reader.detach(),
    peerName: 'console',
    heartbeatMs: Number(ok.heartbeatMs) || o.heartbeatMs || 2000,
    maxPayload,
    versions: o.versions,
    cipherSuite: `${KEX_LABEL[side.agreement.kex]} / ${side.agreement.suite}`,
    // A link pinned to v3 at connect keeps its v4 keys for when the pin is lifted.
    keptV4: sealed,
    ...(o.onRequest ? { onRequest: o.onRequest } : {}),
    ...(o.onStream ? { onStream: o.onStream } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
  })
  return {
    link,
    agentId: String(ok.agentId),
    consoleFingerprint: side.serverFingerprint,
    agreement: { ...side.agreement, version },
    handshakeMs: performance.now() - started,
    auth: side.auth,
    ...(consoleKem ? { consoleKem } : {}),
  }
}

async function clientV3(socket: Socket, o: ClientOptions, started: number): Promise<ClientResult> {
  const maxPayload = o.maxPayload ?? DEFAULT_MAX_PAYLOAD
  const reader = new HandshakeReader(socket, Date.now() + HANDSHAKE_TIMEOUT_MS)
  const text = formatV3Handshake({ version: '3.0.0', clusterId: o.name, capabilities: ['wasm_runtime', 'edge_cloud_continuum'], timestamp: Date.now() / 1000 })
  socket.write(encodeV3Federation({ messageType: FederationType.fullSync, timestamp: Date.now() / 1000, payload: Buffer.from(text) }))
  const answer = await reader.next((buffer) => {
    const total = federationLength(buffer, maxPayload)
    if (total === undefined || buffer.length < total) return undefined
    return { value: decodeV3Federation(buffer.subarray(0, total), maxPayload), consumed: total }
  })
  const reply = Buffer.from(answer.payload).toString('utf8')
  if (!reply.startsWith('OK')) throw new ProtocolError('not_allowed', `the console refused the v3 connection: ${reply.replace(/^REFUSED\|?/, '') || 'no reason given'}`)
  const link = new Link({ socket, framing: new V3Framing(maxPayload), leftover: reader.detach(), peerName: 'console', heartbeatMs: o.heartbeatMs ?? 2000, maxPayload, versions: ['3.0.0'], cipherSuite: 'none (v3)', ...(o.onRequest ? { onRequest: o.onRequest } : {}), ...(o.onStream ? { onStream: o.onStream } : {}), ...(o.onError ? { onError: o.onError } : {}) })
  // Registration travels in clear inside the v3 link (docs/protocol.md §7): one more reason v3 is opt-in.
  const registered = (await link.request('agent.register', { token: o.token ?? null, capabilities: o.capabilities }, { timeoutMs: HANDSHAKE_TIMEOUT_MS })) as { agentId: string }
  return { link, agentId: registered.agentId, consoleFingerprint: null, agreement: { version: '3.0.0', features: [], suite: 'aes-256-gcm', kex: 'x25519' }, handshakeMs: performance.now() - started, auth: 'none' }
}

// ---------- server (console) ----------

export interface Admission {
  /** Decide whether this agent may connect; throw a ProtocolError('not_allowed', …) to refuse. Returns its agent id. */
  admit(input: { name: string; fingerprint: string | null; token?: string; capabilities: Record<string, unknown>; version: string }): string
}

export interface ServerOptions {
  identity: Identity
  /** The console's long-term ML-KEM key: enrolled agents resume with it, and full handshakes hand out its certificate. */
  consoleKem?: ConsoleKem
  /** Versions offered to this connection (with the pin and the v3 permission applied). */
  versions: () => readonly string[]
  allowV3: () => boolean
  features?: readonly Feature[] | ((peerName: string) => readonly Feature[])
  postQuantum?: (peerName: string) => boolean
  heartbeatMs: number
  maxPayload?: number
  rotation?: RotationLimits
  admission: Admission
  onRequest?: RequestHandler
  /** Limits on pre-auth work (replayed hellos, handshakes per address, one key exchange at a time). */
  guard?: HandshakeGuard
  /** Where the connection comes from, as the guard counts it. */
  peerAddress?: string
  /** Told about a failure inside the link that was contained (a bug, not bad input). */
  onError?: LinkErrorReporter
}

export interface Accepted {
  link: Link
  agentId: string
  name: string
  fingerprint: string | null
  capabilities: Record<string, unknown>
  features: string[]
}

export async function acceptAgent(socket: Socket, o: ServerOptions): Promise<Accepted> {
  const reader = new HandshakeReader(socket, Date.now() + HANDSHAKE_TIMEOUT_MS, MAX_PREAUTH_BYTES)
  const maxPayload = o.maxPayload ?? DEFAULT_MAX_PAYLOAD
  const first = await reader.next((b) => (b.length >= 4 ? { value: b.readUInt32BE(0), consumed: 0 } : undefined))
  if (first === MAGIC) return serverV4(socket, reader, o, maxPayload)
  return serverV3(socket, reader, o, maxPayload)
}

function refuse(socket: Socket, plain: PlainV4Framing, err: ProtocolError): never {
  refuseEarly(socket, err)
  throw err
}

/** Refuse a v4 connection before its handshake: one plain error frame with the reason, then close. */
export function refuseEarly(socket: Socket, err: ProtocolError): void {
  if (socket.destroyed) return
  for (const b of new PlainV4Framing().encode({ type: 'error', requestId: 0, flags: 0x08, payload: json({ code: err.kind, message: err.message }) })) socket.write(b)
  socket.end()
  setTimeout(() => socket.destroy(), 1000).unref()
}

/** The key exchange (and signature) for one hello, after the guard let it through. */
async function answerHello(socket: Socket, helloPayload: Uint8Array, o: ServerOptions): Promise<ReturnType<typeof respondToHello>> {
  const hello = parseClientHello(helloPayload)
  const respond = () => {
    // A peer that left while waiting for its turn gets no work done for it.
    if (socket.destroyed) throw new ProtocolError('closed', 'the peer closed the connection during the handshake')
    return respondToHello(helloPayload, { identity: o.identity, versions: o.versions(), features: o.features ?? FEATURES, ...(o.consoleKem ? { consoleKem: o.consoleKem } : {}), ...(o.postQuantum ? { postQuantum: o.postQuantum } : {}) }, hello)
  }
  if (!o.guard) return respond()
  o.guard.admitHello(o.peerAddress ?? socket.remoteAddress ?? '?', hello.core)
  const side = await o.guard.run(respond)
  o.guard.answered(side.auth)
  return side
}

async function serverV4(socket: Socket, reader: HandshakeReader, o: ServerOptions, maxPayload: number): Promise<Accepted> {
  const plain = new PlainV4Framing()
  const helloMsg = await reader
    .next((buffer) => {
      const total = frameLength(buffer, MAX_HELLO_BYTES)
      if (total === undefined || buffer.length < total) return undefined
      const frame = decodeFrame(buffer.subarray(0, total), MAX_HELLO_BYTES)
      return { value: { type: messageTypeName(frame.type), payload: frame.payload }, consumed: total }
    })
    .catch((err: unknown) => (err instanceof ProtocolError && err.kind !== 'closed' && err.kind !== 'timeout' ? refuse(socket, plain, err) : Promise.reject(err)))
  if (helloMsg.type !== 'hello') refuse(socket, plain, new ProtocolError('handshake', `expected hello, got ${helloMsg.type}`))
  let side: ReturnType<typeof respondToHello>
  try {
    side = await answerHello(socket, helloMsg.payload, o)
  } catch (err) {
    if (err instanceof ProtocolError) refuse(socket, plain, err)
    throw err
  }
  for (const b of plain.encode({ type: 'helloReply', requestId: 0, flags: 0, payload: side.reply })) socket.write(b)
  // Checked while the client checks ours: the reply is already on its way.
  await new Promise((r) => setImmediate(r))
  const signedByClient = verifyClientHello(side.hello)
  const sealed = new SealedV4Framing(new Sealer(side.secrets.serverToClient, side.agreement.suite, o.rotation ?? DEFAULT_ROTATION), new Opener(side.secrets.clientToServer, side.agreement.suite), maxPayload)
  const refuseSealed = (err: ProtocolError): never => {
    for (const b of sealed.encode({ type: 'error', requestId: 0, flags: 0x08, payload: json({ code: err.kind, message: err.message }) })) socket.write(b)
    socket.end()
    throw err
  }
  let auth: LinkMessage
  try {
    auth = await nextMessage(reader, sealed)
  } catch (err) {
    throw err instanceof ProtocolError && err.kind === 'tampered' ? new ProtocolError('handshake', 'the agent’s auth message does not open under the handshake keys') : err
  }
  if (auth.type !== 'auth') refuseSealed(new ProtocolError('handshake', `expected auth, got ${auth.type}`))
  const body = parseObject(auth.payload)
  if (!signedByClient)
    refuseSealed(new ProtocolError('handshake', `${side.hello.name}: the signature over the hello does not verify with the key it carries`))
  const capabilities = typeof body.capabilities === 'object' && body.capabilities !== null ? (body.capabilities as Record<string, unknown>) : {}
  let agentId: string
  try {
    agentId = o.admission.admit({ name: side.hello.name, fingerprint: side.hello.fingerprint, ...(typeof body.token === 'string' ? { token: body.token } : {}), capabilities, version: side.agreement.version })
  } catch (err) {
    if (err instanceof ProtocolError) refuseSealed(err)
    throw err
  }
  const heartbeatMs = o.heartbeatMs
  // An agent that did not resume (first connection, or its copy of our KEM key is stale) gets the current certificate.
  const certificate = o.consoleKem && side.hello.consoleKem?.id !== o.consoleKem.id ? { consoleKem: consoleKemCertificate(o.consoleKem) } : {}
  for (const b of sealed.encode({ type: 'authOk', requestId: 0, flags: 0, payload: json({ agentId: agentId!, version: side.agreement.version, features: side.agreement.features, heartbeatMs, ...certificate }) })) socket.write(b)
  sealed.setCompression(compressionAgreed(side.agreement))
  const version = side.agreement.version
  const link = new Link({
    socket,
    framing: version.startsWith('3.') ? new V3Framing(maxPayload) : sealed,
    leftover: reader.detach(),
    peerName: side.hello.name,
    heartbeatMs,
    maxPayload,
    versions: o.versions(),
    cipherSuite: `${KEX_LABEL[side.agreement.kex]} / ${side.agreement.suite}`,
    keptV4: sealed,
    ...(o.onRequest ? { onRequest: o.onRequest } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
  })
  return { link, agentId: agentId!, name: side.hello.name, fingerprint: side.hello.fingerprint, capabilities, features: side.agreement.features.map((f) => f.name) }
}

async function serverV3(socket: Socket, reader: HandshakeReader, o: ServerOptions, maxPayload: number): Promise<Accepted> {
  const message = await reader.next((buffer) => {
    const total = federationLength(buffer, maxPayload)
    if (total === undefined || buffer.length < total) return undefined
    return { value: decodeV3Federation(buffer.subarray(0, total), maxPayload), consumed: total }
  })
  const refuseV3 = (err: ProtocolError): never => {
    socket.end(encodeV3Federation({ messageType: FederationType.fullSync, timestamp: Date.now() / 1000, payload: Buffer.from(`REFUSED|${err.message}`) }))
    throw err
  }
  if (message.messageType !== FederationType.fullSync) refuseV3(new ProtocolError('handshake', 'a v3 peer must start with its HANDSHAKE message'))
  const hello = parseV3Handshake(Buffer.from(message.payload).toString('utf8'))
  if (!o.allowV3()) refuseV3(new ProtocolError('not_allowed', 'this console does not accept unencrypted DWCP v3 agents (allow them with `dwcp protocol allow-v3 true`)'))
  if (!o.versions().some((v) => v.startsWith('3.'))) refuseV3(new ProtocolError('no_common_version', `no common protocol version: the peer offers ${hello.version}; this console speaks ${o.versions().join(', ')}`))
  socket.write(encodeV3Federation({ messageType: FederationType.fullSync, timestamp: Date.now() / 1000, payload: Buffer.from(`OK|3.0.0|console`) }))
  const leftover = reader.detach()
  return new Promise<Accepted>((resolve, reject) => {
    let link: Link
    const timer = setTimeout(() => (link.destroy('no registration'), reject(new ProtocolError('timeout', `${hello.clusterId} did not register within ${HANDSHAKE_TIMEOUT_MS / 1000} s`))), HANDSHAKE_TIMEOUT_MS)
    let registered = false
    link = new Link({
      socket,
      framing: new V3Framing(maxPayload),
      leftover,
      peerName: hello.clusterId,
      heartbeatMs: o.heartbeatMs,
      maxPayload,
      versions: ['3.0.0'],
      cipherSuite: 'none (v3)',
      ...(o.onError ? { onError: o.onError } : {}),
      onRequest: (method, payload, l) => {
        if (registered) return o.onRequest ? o.onRequest(method, payload, l) : Promise.reject(new Error('no requests are answered here'))
        if (method !== 'agent.register') throw new ProtocolError('handshake', 'a v3 agent must register first')
        const p = (payload ?? {}) as { token?: string | null; capabilities?: Record<string, unknown> }
        try {
          const agentId = o.admission.admit({ name: hello.clusterId, fingerprint: null, ...(p.token ? { token: p.token } : {}), capabilities: p.capabilities ?? {}, version: '3.0.0' })
          registered = true
          clearTimeout(timer)
          // Hand the link over once the answer is on its way.
          setImmediate(() => resolve({ link, agentId, name: hello.clusterId, fingerprint: null, capabilities: p.capabilities ?? {}, features: ['wasm_runtime', 'edge_cloud_continuum'] }))
          return { agentId }
        } catch (err) {
          clearTimeout(timer)
          setTimeout(() => link.close('refused'), 50)
          reject(err)
          throw err
        }
      },
    })
    link.on('close', (reason) => (clearTimeout(timer), reject(new ProtocolError('closed', reason))))
  })
}
