/**
 * Public face of the release manager (issue #7): feature flags with gradual rollout, the early-adopter
 * program, feedback with response clocks, privacy-respecting telemetry, the readiness score, and
 * rollback to protocol v3 (and forward again).
 *
 * Other engines never import this folder: the host asks `isEnabled(flag, user?)` on their behalf.
 */
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import type { Registry } from 'prom-client'
import type { AppendInput } from '../audit'
import type { Store } from '../store'
import { AdopterRegistry, type AccessLevel, type Application } from './adopters'
import { ReleaseError } from './errors'
import { FeedbackQueue, type FeedbackInput, type Resolution } from './feedback'
import { FlagStore, type Environment, type Evaluation, type Flag, type FlagPatch } from './flags'
import { BENCH_RESULTS_FILE, readiness, type Readiness } from './readiness'
import { RollbackController, type ProtocolControl, type RollbackRecord } from './rollback'
import { RELEASE_MIGRATIONS } from './schema'
import { Telemetry } from './telemetry'

export { RELEASE_MIGRATIONS } from './schema'
export { ReleaseError } from './errors'
export { murmur3x86_32, murmur3String, rolloutBucket } from './murmur'
export { ACCESS_FLAGS, ACCESS_LEVELS, ADOPTER_CAPACITY, type AccessLevel, type Adopter, type AdopterStatus } from './adopters'
export { FEEDBACK_TYPES, SEVERITIES, RESOLUTIONS, type FeedbackItem, type Resolution } from './feedback'
export { ENVIRONMENTS, SEEDED_FLAGS, FLAG_NAME, type Environment, type Evaluation, type Flag, type FlagPatch } from './flags'
export { BENCH_RESULTS_FILE, BENCH_GOALS, PRODUCTION_THRESHOLD, type Readiness } from './readiness'
export { TELEMETRY_RETENTION_MS } from './telemetry'
export { PROTOCOL_V3, type ProtocolControl, type PinOutcome, type RollbackRecord } from './rollback'

export interface ReleaseOptions {
  store: Store
  home: string
  /** Where state changes made by the engine itself (expiry) are recorded: the audit log. */
  record: (entry: AppendInput) => void
  /** Injected by the host; absent while no protocol peer exists. */
  protocol?: ProtocolControl
  now?: () => number
}

export class ReleaseManager {
  readonly flags: FlagStore
  readonly adopters: AdopterRegistry
  readonly feedback: FeedbackQueue
  readonly telemetry: Telemetry
  readonly rollback: RollbackController
  private readonly db: Database.Database
  private readonly now: () => number
  private readonly record: (entry: AppendInput) => void
  private sweepTimer: NodeJS.Timeout | null = null

  constructor(private readonly options: ReleaseOptions) {
    options.store.migrate('release', RELEASE_MIGRATIONS)
    this.db = options.store.db
    this.now = options.now ?? Date.now
    this.record = options.record
    this.flags = new FlagStore(this.db, this.now)
    this.flags.seed()
    this.adopters = new AdopterRegistry(this.db, this.now)
    this.feedback = new FeedbackQueue(this.db, this.now)
    this.telemetry = new Telemetry(this.db, this.now)
    this.rollback = new RollbackController({ store: options.store, flags: this.flags, record: this.record, now: this.now, ...(options.protocol ? { protocol: options.protocol } : {}) })
    this.expireFlags()
  }

  /**
   * The cheap check other engines' handlers consult: is the feature on (for this user)? Unknown
   * flags are off. Reads an in-memory copy that refreshes only after a commit.
   */
  isEnabled(flag: string, user?: string): boolean {
    return this.evaluate(flag, user).enabled
  }

  evaluate(flag: string, user?: string | null): Evaluation {
    return this.flags.evaluate(flag, user ?? null, { environment: this.environment(), now: this.now(), grantedByAccess: (u) => this.adopters.grants(u) })
  }

  setFlag(name: string, patch: FlagPatch): { flag: Flag; created: boolean } {
    const result = this.flags.set(name, patch)
    // A new expiry in the past turns the flag off at once, with its own audit entry.
    this.expireFlags()
    return { flag: this.flags.require(name), created: result.created }
  }

  /**
   * Turn off every flag whose expiry has passed, each with an audit entry. Evaluation already
   * treats an expired flag as off; this makes the stored state say so too.
   */
  expireFlags(): string[] {
    const expired = this.flags.expiredButOn()
    for (const flag of expired) {
      this.flags.set(flag.name, { enabled: false })
      this.record({ actor: 'system', action: 'release.flag.expire', target: flag.name, outcome: 'ok', details: { expiresAt: flag.expiresAt } })
    }
    return expired.map((f) => f.name)
  }

  /** Check expiries (and telemetry retention) every `intervalMs` while a long-running shell is up. */
  startSweeping(intervalMs = 60_000): void {
    if (this.sweepTimer) return
    this.sweepTimer = setInterval(() => {
      if (!this.db.open) return
      this.expireFlags()
      this.telemetry.purge()
    }, intervalMs)
    this.sweepTimer.unref()
  }

  environment(): Environment {
    return this.flags.environment()
  }

  setEnvironment(environment: Environment): Environment {
    this.flags.setEnvironment(environment)
    return environment
  }

  register(application: Application) {
    return this.adopters.register(application)
  }

  submitFeedback(input: FeedbackInput) {
    if (input.adopterId) {
      const adopter = this.adopters.require(input.adopterId)
      if (adopter.status !== 'approved') throw new ReleaseError(`adopter ${adopter.id} is ${adopter.status}, not approved: feedback comes from approved adopters`, 'forbidden')
    }
    return this.feedback.submit(input)
  }

  resolveFeedback(id: number, resolution: Resolution, response?: string) {
    const { item, reputation } = this.feedback.resolve(id, resolution, response)
    if (item.adopterId) this.adopters.addReputation(item.adopterId, reputation)
    return { item, reputation }
  }

  invite(level: AccessLevel, days: number) {
    return this.adopters.invite(level, days * 86_400_000)
  }

  readiness(): Readiness {
    return readiness({
      openCriticalBugs: this.feedback.openCriticalBugs(),
      sla: this.feedback.slaCompliance(),
      approvedAdopters: this.adopters.counts().approved,
      capacity: this.adopters.capacity,
      benchResultsFile: join(this.options.home, BENCH_RESULTS_FILE),
    })
  }

  /** Everything the alpha program's status page shows, purging expired telemetry first. */
  status() {
    this.telemetry.purge()
    const counts = this.adopters.counts()
    const sla = this.feedback.slaCompliance()
    return {
      environment: this.environment(),
      protocol: this.rollback.state(),
      flags: this.flags.list().map((f) => ({ name: f.name, enabled: f.enabled, rollout: f.rollout, effective: this.evaluate(f.name).reason })),
      adopters: { ...counts, capacity: this.adopters.capacity },
      feedback: { open: this.feedback.list({ status: 'open' }).length, overdue: this.feedback.list({ overdue: true }).length, openCriticalBugs: this.feedback.openCriticalBugs(), sla },
      telemetry: this.telemetry.summary(),
      readiness: this.readiness(),
    }
  }

  registerMetrics(registry: Registry): void {
    this.telemetry.register(registry)
  }

  rollbackHistory(): RollbackRecord[] {
    return this.rollback.history()
  }

  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer)
    this.sweepTimer = null
  }
}
