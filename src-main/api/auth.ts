import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { rememberSecret } from '../redact'

/** The installation's API token: made at first run, kept in a file only its owner can read. */
export function loadOrCreateToken(home: string): string {
  const file = tokenFile(home)
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim()
    if (token.length >= 32) {
      rememberSecret(token)
      return token
    }
  }
  const token = randomBytes(32).toString('base64url')
  writeFileSync(file, token + '\n', { mode: 0o600 })
  chmodSync(file, 0o600)
  rememberSecret(token)
  return token
}

export function tokenFile(home: string): string {
  return join(home, 'api-token')
}

export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

export interface SessionOptions {
  /** A one-time sign-in link is good for this long (default 24 h). */
  codeLifetimeMs?: number
  /** A session unused for this long is over (default 12 h); every use restarts the clock. */
  idleMs?: number
  /** At most this many sessions and unspent codes are kept; beyond, the least recently used go first. */
  maxSessions?: number
  maxCodes?: number
  now?: () => number
}

export const DEFAULT_SESSION_IDLE_MS = 12 * 60 * 60 * 1000

/**
 * Browser sign-in: `dwcp serve` prints a link with a one-time code; opening it trades the code for a
 * session cookie (HttpOnly, SameSite=Strict). Codes and sessions live in memory, so a restart signs
 * every browser out; a session left idle ends by itself, and both maps are bounded so a flood of
 * sign-ins cannot grow memory without end.
 */
export class BrowserSessions {
  /** code → expiry; session → last use. Maps keep insertion order: the first entry is the oldest. */
  private readonly codes = new Map<string, number>()
  private readonly sessions = new Map<string, number>()
  private readonly codeLifetimeMs: number
  private readonly idleMs: number
  private readonly maxSessions: number
  private readonly maxCodes: number
  private readonly now: () => number

  constructor(options: SessionOptions = {}) {
    this.codeLifetimeMs = options.codeLifetimeMs ?? 24 * 60 * 60 * 1000
    this.idleMs = options.idleMs ?? DEFAULT_SESSION_IDLE_MS
    this.maxSessions = options.maxSessions ?? 1000
    this.maxCodes = options.maxCodes ?? 100
    this.now = options.now ?? Date.now
  }

  newLoginCode(): string {
    const code = randomBytes(24).toString('base64url')
    this.codes.set(code, this.now() + this.codeLifetimeMs)
    dropOldest(this.codes, this.maxCodes)
    return code
  }

  /** Spend a login code: true once, false ever after. */
  redeem(code: string): string | null {
    const expires = this.codes.get(code)
    if (expires === undefined) return null
    this.codes.delete(code)
    if (expires < this.now()) return null
    return this.newSession()
  }

  newSession(): string {
    const session = randomBytes(32).toString('base64url')
    this.sessions.set(session, this.now())
    dropOldest(this.sessions, this.maxSessions)
    return session
  }

  /** Whether `id` is a live session; using it keeps it alive for another idle period. */
  isSession(id: string | undefined): boolean {
    if (!id) return false
    const lastUse = this.sessions.get(id)
    if (lastUse === undefined) return false
    this.sessions.delete(id)
    if (this.now() - lastUse > this.idleMs) return false
    this.sessions.set(id, this.now()) // moved to the end: most recently used
    return true
  }

  get size(): { sessions: number; codes: number } {
    return { sessions: this.sessions.size, codes: this.codes.size }
  }
}

function dropOldest(map: Map<string, number>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return
    map.delete(key)
  }
}

export const SESSION_COOKIE = 'dwcp_session'

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/`
}
