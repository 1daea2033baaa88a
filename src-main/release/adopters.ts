/**
 * The early-adopter program: applications, decisions against a fixed capacity (the overflow waits,
 * first come first served), invitation codes, access levels and reputation.
 */
import { createHash, randomBytes } from 'node:crypto'
import type Database from 'better-sqlite3'
import { ReleaseError } from './errors'

export const ADOPTER_CAPACITY = 100
export const ACCESS_LEVELS = ['basic', 'advanced', 'full', 'experimental'] as const
export type AccessLevel = (typeof ACCESS_LEVELS)[number]
export type AdopterStatus = 'pending' | 'approved' | 'rejected' | 'waitlisted'

/** Flags each access level turns on for an approved adopter (each level includes the ones before). */
export const ACCESS_FLAGS: Record<AccessLevel, readonly string[]> = {
  basic: [],
  advanced: ['wasm_runtime', 'enhanced_compression'],
  full: ['wasm_runtime', 'enhanced_compression', 'edge_cloud_continuum', 'ai_llm_integration'],
  experimental: ['wasm_runtime', 'enhanced_compression', 'edge_cloud_continuum', 'ai_llm_integration', 'quantum_crypto'],
}

export interface Adopter {
  id: string
  name: string
  email: string
  organization: string
  useCase: string
  status: AdopterStatus
  accessLevel: AccessLevel
  reputation: number
  appliedAt: string
  decidedAt: string | null
}

export interface Application {
  name: string
  email: string
  organization?: string
  useCase?: string
  invitationCode?: string
}

interface AdopterRow {
  id: string
  name: string
  email: string
  organization: string
  use_case: string
  status: AdopterStatus
  access_level: AccessLevel
  reputation: number
  applied_at: string
  decided_at: string | null
}

const fromRow = (r: AdopterRow): Adopter => ({
  id: r.id,
  name: r.name,
  email: r.email,
  organization: r.organization,
  useCase: r.use_case,
  status: r.status,
  accessLevel: r.access_level,
  reputation: r.reputation,
  appliedAt: r.applied_at,
  decidedAt: r.decided_at,
})

/** Codes are 20 random bytes in Crockford-style base32 (100 bits of entropy after grouping): DWCP-XXXXX-XXXXX-XXXXX-XXXXX. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
function newCode(): string {
  const bytes = randomBytes(20)
  const chars = [...bytes].map((b) => ALPHABET[b & 31]).join('')
  return `DWCP-${chars.slice(0, 5)}-${chars.slice(5, 10)}-${chars.slice(10, 15)}-${chars.slice(15, 20)}`
}
const hashCode = (code: string) => createHash('sha256').update(code.trim().toUpperCase()).digest('hex')

export class AdopterRegistry {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
    readonly capacity = ADOPTER_CAPACITY,
  ) {}

  list(status?: AdopterStatus): Adopter[] {
    const rows = status
      ? this.db.prepare('SELECT * FROM release_adopters WHERE status = ? ORDER BY applied_at, rowid').all(status)
      : this.db.prepare('SELECT * FROM release_adopters ORDER BY applied_at, rowid').all()
    return (rows as AdopterRow[]).map(fromRow)
  }

  get(id: string): Adopter | undefined {
    const row = this.db.prepare('SELECT * FROM release_adopters WHERE id = ?').get(id) as AdopterRow | undefined
    return row && fromRow(row)
  }

  require(id: string): Adopter {
    const adopter = this.get(id)
    if (!adopter) throw new ReleaseError(`no adopter with id ${id}`, 'not_found')
    return adopter
  }

  counts(): Record<AdopterStatus, number> {
    const rows = this.db.prepare('SELECT status, COUNT(*) AS n FROM release_adopters GROUP BY status').all() as { status: AdopterStatus; n: number }[]
    const counts = { pending: 0, approved: 0, rejected: 0, waitlisted: 0 }
    for (const r of rows) counts[r.status] = r.n
    return counts
  }

  /** A new application. A valid invitation code approves it at the code's level (or waitlists it when full). */
  register(app: Application): Adopter {
    const email = app.email.trim().toLowerCase()
    if (this.db.prepare('SELECT 1 FROM release_adopters WHERE email = ?').get(email)) throw new ReleaseError('an application with that email exists already', 'conflict')
    return this.db.transaction(() => {
      const at = new Date(this.now()).toISOString()
      const id = `ad_${randomBytes(6).toString('hex')}`
      let status: AdopterStatus = 'pending'
      let level: AccessLevel = 'basic'
      let decidedAt: string | null = null
      if (app.invitationCode) {
        level = this.redeem(app.invitationCode, id)
        status = this.isFull() ? 'waitlisted' : 'approved'
        decidedAt = at
      }
      this.db
        .prepare('INSERT INTO release_adopters (id, name, email, organization, use_case, status, access_level, reputation, applied_at, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)')
        .run(id, app.name.trim(), email, app.organization?.trim() ?? '', app.useCase?.trim() ?? '', status, level, at, decidedAt)
      return this.require(id)
    })()
  }

  /** Approve at a level; at capacity the adopter goes to the waitlist instead (and is told so). */
  approve(id: string, level?: AccessLevel): Adopter {
    return this.db.transaction(() => {
      const adopter = this.require(id)
      const newLevel = level ?? adopter.accessLevel
      if (adopter.status === 'approved') return this.update(id, 'approved', newLevel)
      return this.update(id, this.isFull() ? 'waitlisted' : 'approved', newLevel)
    })()
  }

  /** Reject (or remove) an adopter; a place freed at capacity goes to the longest-waiting adopter. */
  reject(id: string): { adopter: Adopter; promoted: Adopter | null } {
    return this.db.transaction(() => {
      const wasApproved = this.require(id).status === 'approved'
      const adopter = this.update(id, 'rejected')
      const promoted = wasApproved ? this.promoteNext() : null
      return { adopter, promoted }
    })()
  }

  setLevel(id: string, level: AccessLevel): Adopter {
    const adopter = this.require(id)
    return this.update(id, adopter.status, level)
  }

  addReputation(id: string, points: number): void {
    this.db.prepare('UPDATE release_adopters SET reputation = MAX(0, reputation + ?) WHERE id = ?').run(points, id)
  }

  /** Flags an approved adopter's access level grants; null for anyone else. */
  grants(id: string): { level: AccessLevel; flags: readonly string[] } | null {
    if (!id.startsWith('ad_')) return null
    const adopter = this.get(id)
    if (!adopter || adopter.status !== 'approved') return null
    return { level: adopter.accessLevel, flags: ACCESS_FLAGS[adopter.accessLevel] }
  }

  /** A single-use code, shown once: only its hash is stored. */
  invite(level: AccessLevel, validForMs: number): { code: string; hint: string; accessLevel: AccessLevel; expiresAt: string } {
    if (!(validForMs > 0 && validForMs <= 90 * 86_400_000)) throw new ReleaseError('an invitation is valid for more than 0 and at most 90 days')
    const code = newCode()
    const at = this.now()
    const expiresAt = new Date(at + validForMs).toISOString()
    const hint = code.slice(-5)
    this.db.prepare('INSERT INTO release_invitations (code_hash, hint, access_level, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(hashCode(code), hint, level, new Date(at).toISOString(), expiresAt)
    return { code, hint, accessLevel: level, expiresAt }
  }

  invitations(): { hint: string; accessLevel: AccessLevel; createdAt: string; expiresAt: string; usedAt: string | null; usedBy: string | null }[] {
    const rows = this.db.prepare('SELECT hint, access_level, created_at, expires_at, used_at, used_by FROM release_invitations ORDER BY created_at DESC').all() as {
      hint: string
      access_level: AccessLevel
      created_at: string
      expires_at: string
      used_at: string | null
      used_by: string | null
    }[]
    return rows.map((r) => ({ hint: r.hint, accessLevel: r.access_level, createdAt: r.created_at, expiresAt: r.expires_at, usedAt: r.used_at, usedBy: r.used_by }))
  }

  private redeem(code: string, adopterId: string): AccessLevel {
    const row = this.db.prepare('SELECT access_level, expires_at, used_at FROM release_invitations WHERE code_hash = ?').get(hashCode(code)) as
      | { access_level: AccessLevel; expires_at: string; used_at: string | null }
      | undefined
    // One message for unknown, used and expired alike would hide mistakes; none of them reveals a valid code.
    if (!row) throw new ReleaseError('that invitation code is not valid', 'forbidden')
    if (row.used_at) throw new ReleaseError('that invitation code has been used already', 'forbidden')
    if (Date.parse(row.expires_at) <= this.now()) throw new ReleaseError(`that invitation code expired at ${row.expires_at}`, 'forbidden')
    this.db.prepare('UPDATE release_invitations SET used_at = ?, used_by = ? WHERE code_hash = ?').run(new Date(this.now()).toISOString(), adopterId, hashCode(code))
    return row.access_level
  }

  private isFull(): boolean {
    return this.counts().approved >= this.capacity
  }

  private promoteNext(): Adopter | null {
    const next = this.list('waitlisted')[0]
    return next && !this.isFull() ? this.update(next.id, 'approved') : null
  }

  private update(id: string, status: AdopterStatus, level?: AccessLevel): Adopter {
    const adopter = this.require(id)
    this.db.prepare('UPDATE release_adopters SET status = ?, access_level = ?, decided_at = ? WHERE id = ?').run(status, level ?? adopter.accessLevel, new Date(this.now()).toISOString(), id)
    return this.require(id)
  }
}
