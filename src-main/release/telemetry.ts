/**
 * Usage telemetry that respects privacy by construction: nothing at all is written while the
 * installation has opted out; user ids are stored only as a salted hash (the salt never leaves this
 * installation's database); property values are kept only when they are numbers, booleans or short
 * identifier-like tokens, so an email address or a sentence is dropped, never stored; rows older
 * than the retention are purged.
 */
import { createHmac, randomBytes } from 'node:crypto'
import type Database from 'better-sqlite3'
import { Counter, type Registry } from 'prom-client'
import { ReleaseError } from './errors'

export const TELEMETRY_RETENTION_MS = 90 * 86_400_000
export const EVENT_NAME = /^[a-z][a-z0-9_.]{0,63}$/
/** A token: no spaces, no @, short. Free text and emails fail it. */
const TOKEN_VALUE = /^[A-Za-z0-9_.:-]{0,64}$/
const PROPERTY_KEY = /^[a-z][a-zA-Z0-9_]{0,39}$/

export type PropertyValue = string | number | boolean

export interface RecordResult {
  stored: boolean
  /** Property keys not kept, and why: the caller sees what privacy rules removed. */
  dropped: string[]
}

export class Telemetry {
  private readonly stored: Counter<'event'>
  private readonly suppressed: Counter
  private salt: Buffer | null = null

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {
    this.stored = new Counter({ name: 'dwcp_release_telemetry_events_total', help: 'Telemetry events stored, by event name', labelNames: ['event'], registers: [] })
    this.suppressed = new Counter({ name: 'dwcp_release_telemetry_suppressed_total', help: 'Telemetry events not stored because the installation opted out', registers: [] })
  }

  register(registry: Registry): void {
    registry.registerMetric(this.stored)
    registry.registerMetric(this.suppressed)
  }

  optedOut(): boolean {
    return this.db.prepare(`SELECT value FROM release_state WHERE key = 'telemetry_opt_out'`).pluck().get() === '1'
  }

  /** Opting out also deletes what was stored before: "nothing is stored" holds from that moment on. */
  setOptOut(optOut: boolean): { optedOut: boolean; deleted: number } {
    return this.db.transaction(() => {
      this.db.prepare(`INSERT INTO release_state (key, value) VALUES ('telemetry_opt_out', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(optOut ? '1' : '0')
      const deleted = optOut ? this.db.prepare('DELETE FROM release_telemetry').run().changes : 0
      return { optedOut: optOut, deleted }
    })()
  }

  record(event: string, properties: Record<string, unknown> = {}, userId?: string): RecordResult {
    if (!EVENT_NAME.test(event)) throw new ReleaseError(`"${event.slice(0, 80)}" is not an event name: lowercase letters, digits, _ and ., at most 64`)
    if (this.optedOut()) {
      this.suppressed.inc()
      return { stored: false, dropped: Object.keys(properties) }
    }
    const kept: Record<string, PropertyValue> = {}
    const dropped: string[] = []
    for (const [key, value] of Object.entries(properties)) {
      if (PROPERTY_KEY.test(key) && isKeepable(value)) kept[key] = value
      else dropped.push(key)
    }
    this.db.prepare('INSERT INTO release_telemetry (time, event, user_hash, properties) VALUES (?, ?, ?, ?)').run(new Date(this.now()).toISOString(), event, userId ? this.hashUser(userId) : null, JSON.stringify(kept))
    this.stored.inc({ event })
    return { stored: true, dropped }
  }

  /** Delete rows past the retention; returns how many went. */
  purge(): number {
    const cutoff = new Date(this.now() - TELEMETRY_RETENTION_MS).toISOString()
    return this.db.prepare('DELETE FROM release_telemetry WHERE time < ?').run(cutoff).changes
  }

  summary(): { optedOut: boolean; rows: number; retentionDays: number; oldest: string | null; events: { event: string; count: number }[] } {
    const rows = this.db.prepare('SELECT COUNT(*) FROM release_telemetry').pluck().get() as number
    const oldest = (this.db.prepare('SELECT MIN(time) FROM release_telemetry').pluck().get() as string | null) ?? null
    const events = this.db.prepare('SELECT event, COUNT(*) AS count FROM release_telemetry GROUP BY event ORDER BY count DESC LIMIT 50').all() as { event: string; count: number }[]
    return { optedOut: this.optedOut(), rows, retentionDays: TELEMETRY_RETENTION_MS / 86_400_000, oldest, events }
  }

  /** Distinct (hashed) users seen in the retention window. */
  activeUsers(): number {
    return this.db.prepare('SELECT COUNT(DISTINCT user_hash) FROM release_telemetry WHERE user_hash IS NOT NULL').pluck().get() as number
  }

  private hashUser(userId: string): string {
    return createHmac('sha256', this.installationSalt()).update(userId).digest('hex').slice(0, 32)
  }

  private installationSalt(): Buffer {
    if (this.salt) return this.salt
    const existing = this.db.prepare(`SELECT value FROM release_state WHERE key = 'telemetry_salt'`).pluck().get() as string | undefined
    if (existing) return (this.salt = Buffer.from(existing, 'hex'))
    const salt = randomBytes(32)
    this.db.prepare(`INSERT OR IGNORE INTO release_state (key, value) VALUES ('telemetry_salt', ?)`).run(salt.toString('hex'))
    return this.installationSalt()
  }
}

function isKeepable(value: unknown): value is PropertyValue {
  if (typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  return typeof value === 'string' && TOKEN_VALUE.test(value)
}
