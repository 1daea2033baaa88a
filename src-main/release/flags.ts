/**
 * Feature flags: rows in release_flags, an in-memory copy for cheap checks on hot paths, and the
 * evaluation rules. The copy is refreshed when SQLite's data_version says another connection (a
 * `dwcp flags set` next to a running server) committed — checked at most every 50 ms, so a change
 * made by another process takes effect within that, one made in this process at once.
 */
import type Database from 'better-sqlite3'
import { ReleaseError } from './errors'
import { rolloutBucket } from './murmur'

export const ENVIRONMENTS = ['alpha', 'beta', 'production'] as const
export type Environment = (typeof ENVIRONMENTS)[number]

export interface Flag {
  name: string
  description: string
  enabled: boolean
  /** 0–100: the share of users (by bucket) the flag is on for. */
  rollout: number
  /** Users the flag is always on for (when enabled, in the environment, dependencies on). */
  users: string[]
  /** Environments the flag may be on in; empty = all. */
  environments: Environment[]
  /** Flags that must be on (for the same user) for this one to be on. */
  dependencies: string[]
  expiresAt: string | null
  /** Turned off by a rollback to v3. */
  v4Only: boolean
  createdAt: string
  updatedAt: string
}

export interface FlagPatch {
  description?: string
  enabled?: boolean
  rollout?: number
  users?: string[]
  environments?: Environment[]
  dependencies?: string[]
  expiresAt?: string | null
  v4Only?: boolean
}

export interface Evaluation {
  user: string | null
  enabled: boolean
  reason: string
}

/** What evaluation needs besides the flags: where we run, and which flags a user's access level grants. */
export interface EvaluationContext {
  environment: Environment
  now: number
  grantedByAccess(user: string): { level: string; flags: readonly string[] } | null
}

/** How stale the in-memory flags may be with respect to another process's commit. */
export const FRESHNESS_MS = 50

export const FLAG_NAME = /^[a-z][a-z0-9_]{0,63}$/

/** The alpha program's flags, created once on a new installation (deleting one later sticks). */
export const SEEDED_FLAGS: readonly (FlagPatch & { name: string })[] = [
  { name: 'wasm_runtime', description: 'WebAssembly execution in the WASM pool (wasm.execute)', enabled: true, rollout: 100, v4Only: true },
  { name: 'ai_llm_integration', description: 'Claude for chat-driven operations; off = the offline parser only', enabled: true, rollout: 100, v4Only: true },
  { name: 'edge_cloud_continuum', description: 'Placing workloads across edge devices and cloud nodes', enabled: true, rollout: 25, environments: ['alpha', 'beta'], dependencies: ['wasm_runtime'], v4Only: true },
  { name: 'quantum_crypto', description: 'Post-quantum (ML-KEM) key exchange on the v4 wire; off for an agent = X25519 alone, still ML-DSA-signed', enabled: true, rollout: 100, v4Only: true },
  { name: 'enhanced_compression', description: 'Compressed v4 frames', enabled: true, rollout: 50, environments: ['alpha', 'beta'], v4Only: true },
]

interface FlagRow {
  name: string
  description: string
  enabled: number
  rollout: number
  users: string
  environments: string
  dependencies: string
  expires_at: string | null
  v4_only: number
  created_at: string
  updated_at: string
}

function fromRow(r: FlagRow): Flag {
  return {
    name: r.name,
    description: r.description,
    enabled: r.enabled === 1,
    rollout: r.rollout,
    users: JSON.parse(r.users) as string[],
    environments: JSON.parse(r.environments) as Environment[],
    dependencies: JSON.parse(r.dependencies) as string[],
    expiresAt: r.expires_at,
    v4Only: r.v4_only === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export class FlagStore {
  private cache = new Map<string, Flag>()
  private cachedEnvironment: Environment = 'alpha'
  private cachedVersion = -1
  private checkedAt = 0
  private readonly dataVersion: Database.Statement

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck()
  }

  /** Create the seeded flags the first time this database meets the release manager. */
  seed(): void {
    const seeded = this.db.prepare(`SELECT value FROM release_state WHERE key = 'flags_seeded'`).pluck().get()
    if (seeded) return
    this.db.transaction(() => {
      for (const { name, ...patch } of SEEDED_FLAGS) if (!this.get(name)) this.write(name, patch)
      this.db.prepare(`INSERT INTO release_state (key, value) VALUES ('flags_seeded', '1')`).run()
    })()
  }

  list(): Flag[] {
    return [...this.fresh().values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  get(name: string): Flag | undefined {
    return this.fresh().get(name)
  }

  require(name: string): Flag {
    const flag = this.get(name)
    if (!flag) throw new ReleaseError(`no flag named "${name}" (dwcp flags list shows them)`, 'not_found')
    return flag
  }

  /** Create the flag if it does not exist, else change the given fields. */
  set(name: string, patch: FlagPatch): { flag: Flag; created: boolean } {
    if (!FLAG_NAME.test(name)) throw new ReleaseError(`"${name}" is not a flag name: lowercase letters, digits and _, starting with a letter, at most 64`)
    if (patch.rollout !== undefined && !(Number.isInteger(patch.rollout) && patch.rollout >= 0 && patch.rollout <= 100)) throw new ReleaseError(`rollout is a whole percentage 0–100, not ${patch.rollout}`)
    if (patch.expiresAt && Number.isNaN(Date.parse(patch.expiresAt))) throw new ReleaseError(`"${patch.expiresAt}" is not an ISO 8601 date/time`)
    if (patch.dependencies) this.checkDependencies(name, patch.dependencies)
    const created = !this.get(name)
    const flag = this.write(name, patch)
    return { flag, created }
  }

  delete(name: string): Flag {
    const flag = this.require(name)
    const dependents = this.list().filter((f) => f.dependencies.includes(name))
    if (dependents.length) throw new ReleaseError(`${dependents.map((f) => f.name).join(', ')} depend on ${name}; remove the dependency first`, 'conflict')
    this.db.prepare('DELETE FROM release_flags WHERE name = ?').run(name)
    this.cachedVersion = -1
    return flag
  }

  /** Flags whose expiry has passed but are still on. */
  expiredButOn(): Flag[] {
    const now = this.now()
    return this.list().filter((f) => f.enabled && f.expiresAt !== null && Date.parse(f.expiresAt) <= now)
  }

  evaluate(name: string, user: string | null, context: EvaluationContext, seen: readonly string[] = []): Evaluation {
    const flag = this.get(name)
    if (!flag) return { user, enabled: false, reason: `no flag named ${name}` }
    if (flag.expiresAt !== null && Date.parse(flag.expiresAt) <= context.now) return { user, enabled: false, reason: `expired at ${flag.expiresAt}` }
    if (!flag.enabled) return { user, enabled: false, reason: 'disabled' }
    if (flag.environments.length > 0 && !flag.environments.includes(context.environment)) return { user, enabled: false, reason: `not enabled in the ${context.environment} environment (only ${flag.environments.join(', ')})` }
    for (const dependency of flag.dependencies) {
      if (seen.includes(dependency)) return { user, enabled: false, reason: `dependency cycle through ${dependency}` }
      const dep = this.evaluate(dependency, user, context, [...seen, name])
      if (!dep.enabled) return { user, enabled: false, reason: `depends on ${dependency}, which is off (${dep.reason})` }
    }
    if (user !== null && flag.users.includes(user)) return { user, enabled: true, reason: 'in the flag’s user list' }
    if (user !== null) {
      const access = context.grantedByAccess(user)
      if (access?.flags.includes(name)) return { user, enabled: true, reason: `early adopter with ${access.level} access` }
    }
    if (flag.rollout >= 100) return { user, enabled: true, reason: 'rolled out to 100%' }
    if (flag.rollout <= 0) return { user, enabled: false, reason: 'rolled out to 0%' }
    if (user === null) return { user, enabled: false, reason: `rolled out to ${flag.rollout}%, and no user was given to place in a bucket` }
    const bucket = rolloutBucket(name, user)
    return bucket <= flag.rollout
      ? { user, enabled: true, reason: `bucket ${bucket} ≤ rollout ${flag.rollout}%` }
      : { user, enabled: false, reason: `bucket ${bucket} > rollout ${flag.rollout}%` }
  }

  private checkDependencies(name: string, dependencies: string[]): void {
    for (const dep of dependencies) {
      if (dep === name) throw new ReleaseError(`${name} cannot depend on itself`)
      if (!this.get(dep)) throw new ReleaseError(`dependency "${dep}" is not a flag; create it first`, 'not_found')
    }
    // A cycle would make evaluation answer "off" forever: refuse it when it is made.
    const reaches = (from: string, target: string, path: string[]): string[] | null => {
      for (const next of this.get(from)?.dependencies ?? []) {
        if (next === target) return [...path, next]
        if (path.includes(next)) continue
        const found = reaches(next, target, [...path, next])
        if (found) return found
      }
      return null
    }
    for (const dep of dependencies) {
      const cycle = reaches(dep, name, [name, dep])
      if (cycle) throw new ReleaseError(`that would make a dependency cycle: ${cycle.join(' → ')}`, 'conflict')
    }
  }

  private write(name: string, patch: FlagPatch): Flag {
    const at = new Date(this.now()).toISOString()
    const current = this.get(name)
    const next = {
      description: patch.description ?? current?.description ?? '',
      enabled: patch.enabled ?? current?.enabled ?? false,
      rollout: patch.rollout ?? current?.rollout ?? 100,
      users: patch.users ?? current?.users ?? [],
      environments: patch.environments ?? current?.environments ?? [],
      dependencies: patch.dependencies ?? current?.dependencies ?? [],
      expiresAt: patch.expiresAt === undefined ? (current?.expiresAt ?? null) : patch.expiresAt === null ? null : new Date(patch.expiresAt).toISOString(),
      v4Only: patch.v4Only ?? current?.v4Only ?? false,
    }
    this.db
      .prepare(
        `INSERT INTO release_flags (name, description, enabled, rollout, users, environments, dependencies, expires_at, v4_only, created_at, updated_at)
         VALUES (@name, @description, @enabled, @rollout, @users, @environments, @dependencies, @expiresAt, @v4Only, @at, @at)
         ON CONFLICT (name) DO UPDATE SET description = @description, enabled = @enabled, rollout = @rollout, users = @users,
           environments = @environments, dependencies = @dependencies, expires_at = @expiresAt, v4_only = @v4Only, updated_at = @at`,
      )
      .run({
        name,
        description: next.description,
        enabled: next.enabled ? 1 : 0,
        rollout: next.rollout,
        users: JSON.stringify([...new Set(next.users)]),
        environments: JSON.stringify([...new Set(next.environments)]),
        dependencies: JSON.stringify([...new Set(next.dependencies)]),
        expiresAt: next.expiresAt,
        v4Only: next.v4Only ? 1 : 0,
        at,
      })
    this.cachedVersion = -1
    return this.require(name)
  }

  /** The installation's environment, read with the flags (it decides as much as they do). */
  environment(): Environment {
    this.fresh()
    return this.cachedEnvironment
  }

  setEnvironment(environment: Environment): void {
    this.db.prepare(`INSERT INTO release_state (key, value) VALUES ('environment', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(environment)
    this.cachedVersion = -1
  }

  /** The flags, reloaded only when this or another connection has committed since the last load. */
  private fresh(): Map<string, Flag> {
    // Asking SQLite costs ~1.4 µs; a hot path asks far more often than anyone changes a flag, so
    // another process's change is picked up within FRESHNESS_MS (this process's own at once).
    const now = performance.now()
    if (this.cachedVersion !== -1 && now - this.checkedAt < FRESHNESS_MS) return this.cache
    this.checkedAt = now
    const version = this.dataVersion.get() as number
    if (version !== this.cachedVersion) {
      const rows = this.db.prepare('SELECT * FROM release_flags').all() as FlagRow[]
      this.cache = new Map(rows.map((r) => [r.name, fromRow(r)]))
      const environment = this.db.prepare(`SELECT value FROM release_state WHERE key = 'environment'`).pluck().get() as string | undefined
      this.cachedEnvironment = (ENVIRONMENTS as readonly string[]).includes(environment ?? '') ? (environment as Environment) : 'alpha'
      // Read inside a transaction, the rows may yet be rolled back (an audited change whose entry
      // could not be written): such a copy serves this transaction only, never the next read.
      this.cachedVersion = this.db.inTransaction ? -1 : version
    }
    return this.cache
  }
}
