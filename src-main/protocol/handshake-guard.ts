/**
 * Limits on the work a console does for peers that have not authenticated yet. Answering a v4 hello
 * costs a key exchange and, for a full handshake, an ML-DSA-65 signature: tens of milliseconds of the
 * one event loop that also serves the API. Without limits, one captured hello replayed in a loop buys
 * a fresh signature each time. So, before any of that work:
 *
 * - a hello seen before (within REPLAY_WINDOW_MS) is refused: a real agent makes a fresh hello, with
 *   fresh ephemeral keys and nonce, for every connection;
 * - each source address has a token bucket of handshakes;
 * - connections still in their handshake are bounded, in all and per address;
 * - the expensive step runs one handshake at a time, each in its own turn of the event loop, so API
 *   requests get served between two signatures; a bounded number may wait for their turn.
 *
 * Refusals are typed (`replay`, `rate_limited`, `busy`) and the agent's reconnect loop backs off and
 * retries on them.
 */
import { createHash } from 'node:crypto'
import { ProtocolError } from './errors'

/**
 * Handshakes one address may start at once. The largest local demo fleet (`dwcp fleet demo --agents
 * 64`, all from loopback) gets half its agents in at once; the rest follow within seconds as they back off.
 */
export const HANDSHAKE_BURST_PER_ADDRESS = 32
/** Handshakes per second one address may sustain after its burst: a fraction of one core's signing. */
export const HANDSHAKE_RATE_PER_ADDRESS = 8
/** Connections still in their handshake, in all: a silent peer holds one for up to HANDSHAKE_TIMEOUT_MS. */
export const MAX_PREAUTH_CONNECTIONS = 256
/** …and from one address, so one host cannot hold all of them. */
export const MAX_PREAUTH_PER_ADDRESS = 64
/** Handshakes waiting for their turn at the key exchange; one more is refused as busy. */
export const MAX_QUEUED_HANDSHAKES = 64
/** How long a hello is remembered: the same hello seen again within this is a replay. */
export const REPLAY_WINDOW_MS = 10 * 60_000
/** Hellos remembered at most (16 bytes of hash each); the oldest are forgotten first. */
export const REPLAY_MEMORY = 50_000
/** Addresses whose buckets are kept; the least recently seen are forgotten beyond this. */
export const MAX_TRACKED_ADDRESSES = 10_000

/** A token bucket per key: `capacity` at once, refilled at `perSecond`. Bounded in the keys it keeps. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly maxKeys = MAX_TRACKED_ADDRESSES,
  ) {}

  /** Take one token for `key`; false when its bucket is empty. */
  take(key: string, now: number): boolean {
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: now }
    b.tokens = Math.min(this.capacity, b.tokens + (Math.max(0, now - b.at) / 1000) * this.perSecond)
    b.at = now
    // Re-inserted so the Map's order is least recently seen first.
    this.buckets.delete(key)
    this.buckets.set(key, b)
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  get size(): number {
    return this.buckets.size
  }
}

/** Remembers what it has seen for `windowMs`, up to `max` entries. */
export class ReplayMemory {
  private readonly seen = new Map<string, number>()

  constructor(
    private readonly windowMs = REPLAY_WINDOW_MS,
    private readonly max = REPLAY_MEMORY,
  ) {}

  /** True when `bytes` was seen within the window; otherwise it is remembered from now on. */
  check(bytes: Uint8Array, now: number): boolean {
    this.forgetOld(now)
    const key = createHash('sha256').update(bytes).digest('base64').slice(0, 22)
    const until = this.seen.get(key)
    if (until !== undefined && until > now) return true
    this.seen.set(key, now + this.windowMs)
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!)
    return false
  }

  private forgetOld(now: number): void {
    // Entries go in with the same window, so the oldest is first.
    for (const [key, until] of this.seen) {
      if (until > now) return
      this.seen.delete(key)
    }
  }

  get size(): number {
    return this.seen.size
  }
}

export type HandshakeOutcome = 'signed' | 'resumed' | 'refused_replay' | 'refused_rate' | 'refused_busy'

export interface GuardLimits {
  burstPerAddress: number
  ratePerAddress: number
  maxPreauth: number
  maxPreauthPerAddress: number
  maxQueued: number
  replayWindowMs: number
}

export const DEFAULT_GUARD_LIMITS: GuardLimits = {
  burstPerAddress: HANDSHAKE_BURST_PER_ADDRESS,
  ratePerAddress: HANDSHAKE_RATE_PER_ADDRESS,
  maxPreauth: MAX_PREAUTH_CONNECTIONS,
  maxPreauthPerAddress: MAX_PREAUTH_PER_ADDRESS,
  maxQueued: MAX_QUEUED_HANDSHAKES,
  replayWindowMs: REPLAY_WINDOW_MS,
}

export class HandshakeGuard {
  /** What became of the hellos that reached the guard, for /metrics and the tests. */
  readonly counts: Record<HandshakeOutcome, number> = { signed: 0, resumed: 0, refused_replay: 0, refused_rate: 0, refused_busy: 0 }
  private readonly limits: GuardLimits
  private readonly buckets: TokenBuckets
  private readonly replays: ReplayMemory
  private readonly preauth = new Map<string, number>()
  private preauthTotal = 0
  private readonly queue: (() => void)[] = []
  private working = false

  constructor(
    limits: Partial<GuardLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_GUARD_LIMITS, ...limits }
    this.buckets = new TokenBuckets(this.limits.burstPerAddress, this.limits.ratePerAddress)
    this.replays = new ReplayMemory(this.limits.replayWindowMs)
  }

  /** A connection starts its handshake; returns its release (call once, when it ends either way), or the refusal. */
  open(address: string): (() => void) | ProtocolError {
    const mine = this.preauth.get(address) ?? 0
    if (this.preauthTotal >= this.limits.maxPreauth || mine >= this.limits.maxPreauthPerAddress) {
      this.counts.refused_busy++
      return new ProtocolError('busy', `the console has too many handshakes under way${mine >= this.limits.maxPreauthPerAddress ? ' from this address' : ''}; retry later`)
    }
    this.preauth.set(address, mine + 1)
    this.preauthTotal++
    let released = false
    return () => {
      if (released) return
      released = true
      this.preauthTotal--
      const left = (this.preauth.get(address) ?? 1) - 1
      if (left > 0) this.preauth.set(address, left)
      else this.preauth.delete(address)
    }
  }

  /**
   * Before any work for a hello: refuse a replay (by the signed core, which carries the fresh keys and
   * nonce), then take a token from the address's bucket.
   */
  admitHello(address: string, core: Uint8Array): void {
    const now = this.now()
    if (this.replays.check(core, now)) {
      this.counts.refused_replay++
      throw new ProtocolError('replay', 'this hello was already used: a replayed handshake is refused (an agent makes a fresh hello for every connection)')
    }
    if (!this.buckets.take(address, now)) {
      this.counts.refused_rate++
      throw new ProtocolError('rate_limited', `too many handshakes from ${address}: at most ${this.limits.burstPerAddress} at once and ${this.limits.ratePerAddress} a second; retry later`)
    }
  }

  /** Run the expensive step of one handshake: one at a time, each in its own turn of the event loop. */
  async run<T>(work: () => T): Promise<T> {
    if (this.working || this.queue.length) {
      if (this.queue.length >= this.limits.maxQueued) {
        this.counts.refused_busy++
        throw new ProtocolError('busy', 'the console has too many handshakes waiting; retry later')
      }
      await new Promise<void>((resolve) => this.queue.push(resolve))
    }
    this.working = true
    try {
      return work()
    } finally {
      // The next one waits for the next turn: what else is ready (API requests) runs in between.
      setImmediate(() => {
        const next = this.queue.shift()
        if (next) next()
        else this.working = false
      })
    }
  }

  answered(auth: 'signature' | 'kem'): void {
    this.counts[auth === 'signature' ? 'signed' : 'resumed']++
  }

  get preauthConnections(): number {
    return this.preauthTotal
  }
}
