/**
 * An edge agent's connection to its console: enrol (first time, with a token) or authenticate
 * (after), keep the link up with heartbeats and reconnect with backoff when it drops, answer the
 * console's requests with what the composition root gives it (its own WASM pool), and send its state
 * by delta. The console fingerprint is pinned at the first successful enrolment.
 */
import { join } from 'node:path'
import type { Json } from './compression'
import { ProtocolError } from './errors'
import { createClientHello, type ClientHello, type Identity, type PinnedConsoleKem, type Suite } from './handshake'
import { loadOrCreateIdentity, readPin, readPinnedConsoleKem, writePin, writePinnedConsoleKem } from './identity-file'
import type { Link, RequestHandler, StreamHandler } from './link'
import { FEATURES, PROTOCOL_VERSIONS } from './negotiate'
import { connectToConsole, type ClientResult } from './session'

export interface AgentOptions {
  host: string
  port: number
  name: string
  token?: string
  /** Folder of this agent's identity and pinned console fingerprint. */
  home: string
  capabilities: Record<string, unknown>
  protocol?: 'v4' | 'v3'
  suites?: readonly Suite[]
  onRequest: RequestHandler
  onStream?: StreamHandler
  /** This agent's state, sent every heartbeat (as a delta once the console acknowledged one). */
  state: () => Json
  stateEveryMs?: number
  log?: (line: string) => void
}

export type AgentStatus = 'connecting' | 'connected' | 'waiting' | 'stopped'

export class EdgeAgent {
  readonly identity: Identity
  status: AgentStatus = 'connecting'
  link: Link | undefined
  lastResult: ClientResult | undefined
  private stopped = false
  private attempt = 0
  private stateTimer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  /** The next hello, made while idle: a reconnect then waits only for the console. */
  private nextHello: ClientHello | undefined

  constructor(private readonly o: AgentOptions) {
    this.identity = loadOrCreateIdentity(join(o.home, 'protocol', 'agent-identity.json'))
  }

  private get pinFile(): string {
    return join(this.o.home, 'protocol', 'console.fingerprint')
  }

  private get kemFile(): string {
    return join(this.o.home, 'protocol', 'console-kem.json')
  }

  /** Connect once; resolves with the link, or rejects with the console's reason. */
  async connect(): Promise<ClientResult> {
    const pinned = readPin(this.pinFile)
    // The console's KEM key is only trusted under the identity it was certified by, i.e. once pinned.
    const consoleKem = pinned ? readPinnedConsoleKem(this.kemFile) : undefined
    const versions = this.o.protocol === 'v3' ? ['3.0.0'] : PROTOCOL_VERSIONS
    const hello = this.nextHello
    this.nextHello = undefined
    const result = await connectToConsole({
      ...(hello ? { hello } : {}),
      ...(consoleKem ? { consoleKem } : {}),
      host: this.o.host,
      port: this.o.port,
      identity: this.identity,
      name: this.o.name,
      versions,
      ...(pinned ? { consoleFingerprint: pinned } : {}),
      // A token is only spent once; after enrolment the key alone identifies us.
      ...(this.o.token && !pinned ? { token: this.o.token } : {}),
      ...(this.o.protocol === 'v3' && this.o.token ? { token: this.o.token } : {}),
      capabilities: this.o.capabilities,
      protocol: this.o.protocol ?? 'v4',
      ...(this.o.suites ? { suites: this.o.suites } : {}),
      onRequest: this.o.onRequest,
      ...(this.o.onStream ? { onStream: this.o.onStream } : {}),
      // Whatever the console sends, the agent keeps running: a contained failure is only logged.
      onError: (err, where) => this.o.log?.(`contained an error (${where}): ${err.message}`),
    })
    if (result.consoleFingerprint && !pinned) writePin(this.pinFile, result.consoleFingerprint)
    if (result.consoleKem) writePinnedConsoleKem(this.kemFile, result.consoleKem)
    const nextKem: PinnedConsoleKem | undefined = result.consoleKem ?? consoleKem
    this.link = result.link
    this.lastResult = result
    this.status = 'connected'
    this.attempt = 0
    if (this.o.protocol !== 'v3') {
      setTimeout(() => {
        // Made ahead while idle; if it cannot be made now, connect() makes one when needed.
        if (this.stopped) return
        this.nextHello ??= createClientHello({
          identity: this.identity,
          name: this.o.name,
          versions,
          features: FEATURES,
          ...(this.o.suites ? { suites: this.o.suites } : {}),
          ...(nextKem ? { consoleKem: nextKem } : {}),
        })
      }, 10).unref()
    }
    const sendState = () => {
      try {
        result.link.sendState(this.o.state())
      } catch (err) {
        this.o.log?.(`could not send this agent's state: ${(err as Error).message}`)
      }
    }
    sendState()
    this.stateTimer = setInterval(sendState, this.o.stateEveryMs ?? 2000)
    result.link.on('close', (reason) => {
      clearInterval(this.stateTimer)
      this.status = this.stopped ? 'stopped' : 'waiting'
      this.o.log?.(`link closed: ${reason}`)
      this.wake?.()
    })
    return result
  }

  /**
   * Stay connected until stop(): reconnect with exponential backoff (0.2 s doubling to 10 s, with
   * jitter). A refusal that waiting cannot fix (bad token, other key, v3 not allowed) ends the loop.
   */
  async run(onConnected?: (r: ClientResult) => void): Promise<void> {
    while (!this.stopped) {
      try {
        this.status = 'connecting'
        const r = await this.connect()
        onConnected?.(r)
        await new Promise<void>((resolve) => (this.wake = resolve))
      } catch (err) {
        if (err instanceof ProtocolError && (err.kind === 'not_allowed' || err.kind === 'no_common_version' || (err.kind === 'handshake' && /identity changed/.test(err.message)))) {
          this.status = 'stopped'
          throw err
        }
        this.o.log?.(`cannot reach the console: ${(err as Error).message}`)
      }
      if (this.stopped) break
      this.status = 'waiting'
      const delay = Math.min(10_000, 200 * 2 ** this.attempt++) * (0.75 + Math.random() * 0.5)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay)
        this.wake = () => (clearTimeout(t), resolve())
      })
    }
  }

  stop(reason = 'agent stopping'): void {
    this.stopped = true
    this.status = 'stopped'
    clearInterval(this.stateTimer)
    this.link?.close(reason)
    this.wake?.()
  }
}
