import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The installation's API token: made at first run, kept in a file only its owner can read. */
export function loadOrCreateToken(home: string): string {
  const file = tokenFile(home)
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim()
    if (token.length >= 32) return token
  }
  const token = randomBytes(32).toString('base64url')
  writeFileSync(file, token + '\n', { mode: 0o600 })
  chmodSync(file, 0o600)
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

/**
 * Browser sign-in: `dwcp serve` prints a link with a one-time code; opening it trades the code for a
 * session cookie (HttpOnly, SameSite=Strict). Codes and sessions live in memory, so a restart signs
 * every browser out.
 */
export class BrowserSessions {
  private readonly codes = new Map<string, number>()
  private readonly sessions = new Set<string>()

  constructor(private readonly codeLifetimeMs = 24 * 60 * 60 * 1000) {}

  newLoginCode(): string {
    const code = randomBytes(24).toString('base64url')
    this.codes.set(code, Date.now() + this.codeLifetimeMs)
    return code
  }

  /** Spend a login code: true once, false ever after. */
  redeem(code: string): string | null {
    const expires = this.codes.get(code)
    if (expires === undefined) return null
    this.codes.delete(code)
    if (expires < Date.now()) return null
    return this.newSession()
  }

  newSession(): string {
    const session = randomBytes(32).toString('base64url')
    this.sessions.add(session)
    return session
  }

  isSession(id: string | undefined): boolean {
    return !!id && this.sessions.has(id)
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
