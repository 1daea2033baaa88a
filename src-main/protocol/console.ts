/**
 * The console's side of the protocol: listens for agents, admits them (enrolled key, or a one-time
 * token that enrols it), keeps the registry of connected agents with their live figures, calls them,
 * and pins every link to one version for a rollback. Enrolments, tokens (as SHA-256 only) and the
 * v3 permission live in SQLite, so they survive restarts.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import type { Migration, Store } from '../store'
import { ProtocolError } from './errors'
import { loadOrCreateConsoleKem, loadOrCreateIdentity } from './identity-file'
import type { ConsoleKem, Identity } from './handshake'
import type { Link } from './link'
import { PROTOCOL_VERSIONS, type Feature } from './negotiate'
import { noRejections, type RejectedCounters, type RejectReason } from './record'
import { acceptAgent, refuseEarly, type Accepted } from './session'
import { HandshakeGuard, type GuardLimits, type HandshakeOutcome } from './handshake-guard'
import { Counter, type Registry } from 'prom-client'

export const PROTOCOL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'agent enrolments, one-time tokens, protocol settings',
    up: `
      CREATE TABLE protocol_enrolments (name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, enrolled_at TEXT NOT NULL) STRICT;
      CREATE TABLE protocol_tokens (token_sha256 TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, used_by TEXT, used_at TEXT) STRICT;
      CREATE TABLE protocol_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    `,
  },
]

/** The port a console listens on for agents unless told otherwise (`dwcp serve`, the app). */
export const DEFAULT_AGENT_PORT = 7470

/** v3 agents have no key: they are enrolled under this marker and can only ever connect as v3. */
const V3_MARKER = 'v3-unauthenticated'

export interface AgentCapabilities {
  region: string
  cpu: number
  memoryMb: number
  gpus: number
  lat?: number
  lon?: number
  bandwidthMbps?: number
  costPerHour?: number
}

export interface ConnectedAgent {
  agentId: string
  name: string
  fingerprint: string | null
  capabilities: AgentCapabilities
  features: string[]
  link: Link
  connectedAt: Date
}

export interface AgentEventMap {
  connect: ConnectedAgent
  disconnect: { agentId: string; reason: string }
  heartbeat: { agentId: string; load: number; rttMs: number; state: unknown }
  rejected: { agentId: string; reason: RejectReason; message: string }
  refused: { name: string; message: string }
  renegotiate: { agentId: string; version: string }
}

export interface ConsoleOptions {
  store: Store
  home: string
  heartbeatMs?: number
  maxPayload?: number
  /** The features offered to an agent, by its name (a feature flag can hold one back); all of them by default. */
  features?: (agentName: string) => readonly Feature[]
  /** Whether ML-KEM joins an agent's key exchange (default: always); off, X25519 alone, still ML-DSA-signed. */
  postQuantum?: (agentName: string) => boolean
  /** Where protocol events are written for the operator (audit log). */
  record?: (entry: { action: string; target: string; outcome: 'ok' | 'failed'; details?: Record<string, unknown>; safety?: 'safe' | 'caution' | 'dangerous' | 'critical' }) => void
  /** Where contained failures are written (the host's log): nothing an agent sends may stop the console. */
  log?: (level: 'warn' | 'error', message: string, details: Record<string, unknown>) => void
  /** Pre-auth limits (handshake-guard.ts); the defaults unless a test needs others. */
  handshakeLimits?: Partial<GuardLimits>
  now?: () => number
}

/** Refusals by the pre-auth guard are audited at most once per address and reason in this time, with a count of the rest. */
const GUARD_AUDIT_EVERY_MS = 10_000

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

function capabilitiesFrom(raw: Record<string, unknown>): AgentCapabilities {
  const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback)
  return {
    region: typeof raw.region === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(raw.region) ? raw.region : 'unknown',
    cpu: Math.max(0.1, Math.min(4096, num(raw.cpu, 1))),
    memoryMb: Math.max(1, Math.min(1 << 30, Math.round(num(raw.memoryMb, 1024)))),
    gpus: Math.max(0, Math.min(64, Math.round(num(raw.gpus, 0)))),
    ...(typeof raw.lat === 'number' ? { lat: Math.max(-90, Math.min(90, raw.lat)) } : {}),
    ...(typeof raw.lon === 'number' ? { lon: Math.max(-180, Math.min(180, raw.lon)) } : {}),
    ...(typeof raw.bandwidthMbps === 'number' ? { bandwidthMbps: Math.max(0, raw.bandwidthMbps) } : {}),
    ...(typeof raw.costPerHour === 'number' ? { costPerHour: Math.max(0, raw.costPerHour) } : {}),
  }
}

export class ProtocolConsole {
  readonly identity: Identity
  private server: Server | undefined
  private address: { host: string; port: number } | null = null
  private readonly agents = new Map<string, ConnectedAgent>()
  private readonly listeners = new Map<keyof AgentEventMap, ((value: never) => void)[]>()
  private readonly sockets = new Set<Socket>()
  private pinned: string | null = null
  private refused = 0
  /** Rejections of links that have since closed, so the totals never go backwards. */
  private readonly closedRejections: RejectedCounters = noRejections()
  private readonly now: () => number
  private kem: ConsoleKem | undefined
  /** Limits on what a peer that has not authenticated yet can make the console do. */
  readonly guard: HandshakeGuard
  private readonly guardAudited = new Map<string, { at: number; suppressed: number }>()

  constructor(private readonly o: ConsoleOptions) {
    o.store.migrate('protocol', PROTOCOL_MIGRATIONS)
    this.identity = loadOrCreateIdentity(join(o.home, 'protocol', 'console-identity.json'))
    this.now = o.now ?? Date.now
    this.guard = new HandshakeGuard(o.handshakeLimits, this.now)
  }

  /** Handshake outcomes (signed, resumed, refused by reason) as a Prometheus counter. */
  registerMetrics(registry: Registry): void {
    const counts = this.guard.counts
    new Counter({
      name: 'dwcp_protocol_handshakes_total',
      help: 'Agent hellos by outcome: signed (full handshake), resumed (ML-KEM key confirmation), or refused before any work (replay, rate, busy)',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset()
        for (const [outcome, n] of Object.entries(counts) as [HandshakeOutcome, number][]) this.inc({ outcome }, n)
      },
    })
  }

  /** A failure contained inside the protocol peer: logged, never thrown at the event loop. */
  private report(err: unknown, where: string): void {
    const e = err instanceof Error ? err : new Error(String(err))
    try {
      this.o.log?.('error', `protocol: contained an error ${where}`, { err: e.message, stack: e.stack })
    } catch {
      // The log itself failing must not stop the console either.
    }
  }

  /** The long-term KEM key enrolled agents resume with; made when first needed (commands that never listen don't pay for it). */
  private get consoleKem(): ConsoleKem {
    this.kem ??= loadOrCreateConsoleKem(join(this.o.home, 'protocol', 'console-kem.json'), this.identity)
    return this.kem
  }

  // ---------- settings ----------

  get allowV3(): boolean {
    return this.setting('allow_v3') === 'true'
  }
  setAllowV3(allow: boolean): boolean {
    this.putSetting('allow_v3', String(allow))
    return allow
  }
  private putSetting(key: string, value: string): void {
    this.o.store.db.prepare('INSERT INTO protocol_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value)
  }
  private setting(key: string): string | undefined {
    return (this.o.store.db.prepare('SELECT value FROM protocol_settings WHERE key = ?').get(key) as { value: string } | undefined)?.value
  }

  /** The versions a new connection may get: the pin, or ours (v3 only when allowed). */
  offeredVersions(): string[] {
    if (this.pinned) return [this.pinned]
    return PROTOCOL_VERSIONS.filter((v) => !v.startsWith('3.') || this.allowV3)
  }

  // ---------- enrolment ----------

  issueToken(minutes = 60): { token: string; expiresAt: string } {
    const token = `dwcp-enrol-${randomBytes(18).toString('base64url')}`
    const expires = this.now() + minutes * 60_000
    this.o.store.db.prepare('INSERT INTO protocol_tokens (token_sha256, expires_at) VALUES (?, ?)').run(sha256(token), expires)
    return { token, expiresAt: new Date(expires).toISOString() }
  }

  enrolled(): { name: string; fingerprint: string; enrolledAt: string }[] {
    return (this.o.store.db.prepare('SELECT name, fingerprint, enrolled_at AS enrolledAt FROM protocol_enrolments ORDER BY name').all() as { name: string; fingerprint: string; enrolledAt: string }[])
  }

  forget(name: string): { name: string; disconnected: boolean } {
    const removed = this.o.store.db.prepare('DELETE FROM protocol_enrolments WHERE name = ?').run(name).changes
    if (!removed) throw new ProtocolError('not_found', `no agent named ${name} is enrolled`)
    const agent = [...this.agents.values()].find((a) => a.name === name)
    agent?.link.close('forgotten by the console')
    return { name, disconnected: Boolean(agent) }
  }

  /** Admission of one connecting agent (called by the handshake, inside it). */
  private admit(input: { name: string; fingerprint: string | null; token?: string; capabilities: Record<string, unknown>; version: string }): string {
    const db = this.o.store.db
    const row = db.prepare('SELECT fingerprint FROM protocol_enrolments WHERE name = ?').get(input.name) as { fingerprint: string } | undefined
    const key = input.fingerprint ?? V3_MARKER
    if (row && row.fingerprint === key) return this.notDuplicate(input.name)
    if (row) throw new ProtocolError('not_allowed', `${input.name} is enrolled with another key${input.fingerprint ? '' : ' (a v3 connection cannot claim an agent enrolled with a key)'}; \`dwcp protocol forget ${input.name}\` first if it was reinstalled`)
    if (!input.token) throw new ProtocolError('not_allowed', `${input.name} is not enrolled: start the agent with --token (issue one with \`dwcp protocol token\`)`)
    const spend = db.transaction(() => {
      const t = db.prepare('SELECT expires_at, used_by FROM protocol_tokens WHERE token_sha256 = ?').get(sha256(input.token!)) as { expires_at: number; used_by: string | null } | undefined
      if (!t) throw new ProtocolError('not_allowed', 'the enrolment token is not one this console issued')
      if (t.used_by) throw new ProtocolError('not_allowed', `the enrolment token was already used (by ${t.used_by}); issue a new one`)
      if (t.expires_at < this.now()) throw new ProtocolError('not_allowed', 'the enrolment token has expired; issue a new one')
      db.prepare('UPDATE protocol_tokens SET used_by = ?, used_at = ? WHERE token_sha256 = ?').run(input.name, new Date(this.now()).toISOString(), sha256(input.token!))
      db.prepare('INSERT INTO protocol_enrolments (name, fingerprint, enrolled_at) VALUES (?, ?, ?)').run(input.name, key, new Date(this.now()).toISOString())
    })
    spend()
    this.o.record?.({ action: 'protocol.enrol', target: input.name, outcome: 'ok', details: { fingerprint: input.fingerprint ?? null, version: input.version, encrypted: Boolean(input.fingerprint) } })
    return this.notDuplicate(input.name)
  }

  private notDuplicate(name: string): string {
    const existing = this.agents.get(name)
    // The same agent reconnecting after a network failure replaces its stale link.
    if (existing) existing.link.destroy('replaced by a new connection from the same agent')
    return name
  }

  // ---------- listening ----------

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const server = createServer((socket) => this.onConnection(socket))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    const a = server.address() as { address: string; port: number }
    this.address = { host: a.address, port: a.port }
    // Kept for other processes on this data folder (`dwcp fleet demo`) to find the running console.
    this.putSetting('agent_address', `${a.address}:${a.port}`)
    return this.address
  }

  /** Where the console on this data folder last listened for agents (it may have stopped since). */
  lastAgentAddress(): string | undefined {
    return this.setting('agent_address')
  }

  get listening(): { host: string; port: number } | null {
    return this.address
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
    socket.on('error', () => {})
    const address = socket.remoteAddress ?? '?'
    const release = this.guard.open(address)
    if (release instanceof ProtocolError) {
      refuseEarly(socket, release)
      return this.refusedByGuard(address, release)
    }
    socket.once('close', release)
    acceptAgent(socket, {
      guard: this.guard,
      peerAddress: address,
      onError: (err, where) => this.report(err, `in the link of ${where}`),
      identity: this.identity,
      consoleKem: this.consoleKem,
      versions: () => this.offeredVersions(),
      allowV3: () => this.allowV3 || this.pinned?.startsWith('3.') === true,
      heartbeatMs: this.o.heartbeatMs ?? 2000,
      ...(this.o.maxPayload ? { maxPayload: this.o.maxPayload } : {}),
      ...(this.o.features ? { features: this.o.features } : {}),
      ...(this.o.postQuantum ? { postQuantum: this.o.postQuantum } : {}),
      admission: { admit: (input) => this.admit(input) },
    })
      .finally(release)
      .then(
        (accepted) => this.register(accepted),
        (err: Error) => {
          socket.destroy()
          if (err instanceof ProtocolError && (err.kind === 'replay' || err.kind === 'rate_limited' || err.kind === 'busy')) return this.refusedByGuard(address, err)
          this.refused++
          const message = err.message
          this.emit('refused', { name: address, message })
          this.o.record?.({ action: 'protocol.refuse', target: `${address}:${socket.remotePort}`, outcome: 'failed', details: { reason: message } })
        },
      )
      // Whatever goes wrong after the handshake (registering, auditing) is contained here.
      .catch((err: unknown) => {
        socket.destroy()
        this.report(err, `while admitting a connection from ${address}`)
      })
  }

  /**
   * A refusal before any work: counted, and audited at most once per address and reason every
   * GUARD_AUDIT_EVERY_MS, so a flood of replays does not become a flood of audit entries.
   */
  private refusedByGuard(address: string, err: ProtocolError): void {
    this.refused++
    const key = `${address} ${err.kind}`
    const now = this.now()
    const last = this.guardAudited.get(key)
    if (last && now - last.at < GUARD_AUDIT_EVERY_MS) {
      last.suppressed++
      return
    }
    this.guardAudited.delete(key)
    if (this.guardAudited.size >= 1000) this.guardAudited.delete(this.guardAudited.keys().next().value!)
    this.guardAudited.set(key, { at: now, suppressed: 0 })
    this.emit('refused', { name: address, message: err.message })
    this.o.record?.({ action: 'protocol.refuse', target: address, outcome: 'failed', details: { reason: err.message, kind: err.kind, ...(last?.suppressed ? { alsoRefusedSinceLastEntry: last.suppressed } : {}) } })
  }

  private register(a: Accepted): void {
    const agent: ConnectedAgent = { agentId: a.agentId, name: a.name, fingerprint: a.fingerprint, capabilities: capabilitiesFrom(a.capabilities), features: a.features, link: a.link, connectedAt: new Date(this.now()) }
    this.agents.set(a.agentId, agent)
    const link = a.link
    link.on('state', (state) => {
      const s = (state ?? {}) as { load?: number }
      this.emit('heartbeat', { agentId: a.agentId, load: typeof s.load === 'number' ? s.load : 0, rttMs: link.rttMs ?? 0, state })
    })
    link.on('rejected', (reason, message) => this.emit('rejected', { agentId: a.agentId, reason, message }))
    link.on('renegotiated', (version) => this.emit('renegotiate', { agentId: a.agentId, version }))
    link.on('close', (reason) => {
      for (const [k, v] of Object.entries(link.rejected) as [RejectReason, number][]) this.closedRejections[k] += v
      if (this.agents.get(a.agentId)?.link === link) this.agents.delete(a.agentId)
      this.emit('disconnect', { agentId: a.agentId, reason })
      this.o.record?.({ action: 'protocol.disconnect', target: a.name, outcome: 'ok', details: { reason } })
    })
    this.o.record?.({
      action: 'protocol.connect',
      target: a.name,
      outcome: 'ok',
      // A v3 link is plainly marked: the operator reading the audit log sees it was not encrypted.
      details: { version: link.version, encrypted: link.encrypted, cipherSuite: link.cipherSuite, fingerprint: a.fingerprint, address: link.remoteAddress },
      safety: link.encrypted ? 'safe' : 'caution',
    })
    this.emit('connect', agent)
  }

  // ---------- agents ----------

  list(): ConnectedAgent[] {
    return [...this.agents.values()].filter((a) => !a.link.closed)
  }

  get(agentId: string): ConnectedAgent {
    const agent = this.agents.get(agentId)
    if (!agent || agent.link.closed) throw new ProtocolError('not_found', `agent ${agentId} is not connected${this.agents.size ? ` (connected: ${[...this.agents.keys()].slice(0, 5).join(', ')})` : ''}`)
    return agent
  }

  callAgent = async (agentId: string, method: string, payload: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> => this.get(agentId).link.request(method, payload, options)

  on<K extends keyof AgentEventMap>(event: K, fn: (value: AgentEventMap[K]) => void): void {
    const list = this.listeners.get(event) ?? []
    list.push(fn as (value: never) => void)
    this.listeners.set(event, list)
  }

  private emit<K extends keyof AgentEventMap>(event: K, value: AgentEventMap[K]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      // One failing listener (the UI's event stream, the orchestrator) neither stops the others nor the link.
      try {
        ;(fn as (v: AgentEventMap[K]) => void)(value)
      } catch (err) {
        this.report(err, `in a ${event} listener`)
      }
    }
  }

  /** Pin every link to `version` (null lifts the pin) and renegotiate each connected agent in place. */
  async pin(version: string | null): Promise<{ pinned: string | null; agents: { agent: string; version: string; ok: boolean; error?: string }[] }> {
    this.pinned = version
    const offer = version ? [version] : PROTOCOL_VERSIONS.filter((v) => !v.startsWith('3.') || this.allowV3)
    const results = await Promise.all(
      this.list().map(async (a) => {
        try {
          const spoken = a.link.version === (version ?? '4.0.0') ? a.link.version : await a.link.renegotiate([...offer])
          return { agent: a.name, version: spoken, ok: version ? spoken === version : true }
        } catch (err) {
          return { agent: a.name, version: a.link.version, ok: false, error: (err as Error).message }
        }
      }),
    )
    return { pinned: version, agents: results }
  }

  get pinnedVersion(): string | null {
    return this.pinned
  }

  status() {
    const totals = noRejections()
    for (const [k, v] of Object.entries(this.closedRejections) as [RejectReason, number][]) totals[k] += v
    const peers = this.list().map((a) => {
      const l = a.link
      for (const [k, v] of Object.entries(l.rejected) as [RejectReason, number][]) totals[k] += v
      return {
        agentId: a.agentId,
        name: a.name,
        address: l.remoteAddress,
        version: l.version,
        encrypted: l.encrypted,
        cipherSuite: l.cipherSuite,
        fingerprint: a.fingerprint,
        features: a.features,
        rttMs: l.rttMs === null ? null : Math.round(l.rttMs * 1000) / 1000,
        bytesIn: l.bytesIn,
        bytesOut: l.bytesOut,
        compressionRatio: Math.round(l.compressionRatio() * 100) / 100,
        keyEpoch: l.keyEpoch,
        rejected: { ...l.rejected },
        connectedAt: a.connectedAt.toISOString(),
        lastSeenAt: new Date(l.lastSeen).toISOString(),
        capabilities: { region: a.capabilities.region, cpu: a.capabilities.cpu, memoryMb: a.capabilities.memoryMb, gpus: a.capabilities.gpus },
      }
    })
    return {
      listening: this.address,
      fingerprint: this.identity.fingerprint,
      versions: [...PROTOCOL_VERSIONS],
      pinnedVersion: this.pinned,
      allowV3: this.allowV3,
      peers,
      refusedConnections: this.refused,
      rejectedTotals: totals,
      enrolled: this.enrolled(),
    }
  }

  async close(): Promise<void> {
    if (this.address) this.o.store.db.prepare("DELETE FROM protocol_settings WHERE key = 'agent_address'").run()
    for (const a of this.agents.values()) a.link.close('console shutting down')
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    for (const s of this.sockets) s.destroy()
  }
}
