/**
 * Deployments over the device registry: create, scale, rolling update, migrate, delete; failure
 * detection from heartbeats with automatic rescheduling; rebalance. Where replicas go is the
 * placement engine's answer; running them is the ReplicaRunner's job. Every change is kept in SQLite,
 * and one change runs at a time (a queue), so a heartbeat timeout never races an update.
 */
import type Database from 'better-sqlite3'
import type { Store } from '../store'
import { NoFitError, type PlaceOptions } from './placement'
import { DeviceRegistry, OrchestratorError } from './registry'
import { UnattachedRunner, type ReplicaRef, type ReplicaRunner, type ReplicaState } from './runner'
import { STRATEGIES, type Device, type PlacementResult, type ReplicaPlacement, type Requirements, type Strategy } from './types'

export interface DeploymentSpec {
  name: string
  module: string
  replicas: number
  requirements: Requirements
  strategy: Strategy
  spanClusters?: boolean
}

export interface ReplicaView {
  replica: number
  deviceId: string
  deviceName: string
  region: string
  cluster: string
  location: 'edge' | 'cloud'
  state: ReplicaState
  module: string
  version: number
  estimatedLatencyMs: number
  score: number
  reason: string
  updatedAt: string
}

export type DeploymentState = 'running' | 'placed' | 'degraded' | 'updating' | 'failed'

export interface DeploymentView {
  name: string
  module: string
  version: number
  replicas: number
  strategy: Strategy
  requirements: Requirements
  spanClusters: boolean
  state: DeploymentState
  message: string
  createdAt: string
  updatedAt: string
  instances: ReplicaView[]
}

export interface RebalanceMove {
  deployment: string
  replica: number
  from: string
  to: string
  scoreBefore: number
  scoreAfter: number
  gain: number
}

export interface RebalanceReport {
  applied: boolean
  moves: RebalanceMove[]
  /** Sum of score gains over the moves, in the deployment's own objective. */
  totalGain: number
  /** Mean score per replica before and after. */
  meanBefore: number
  meanAfter: number
}

export interface OrchestratorEvent {
  kind: 'device' | 'deployment' | 'failure' | 'rescheduled'
  name: string
  detail: string
}

interface DeploymentRow {
  name: string
  module: string
  version: number
  replicas: number
  requirements: string
  strategy: Strategy
  span_clusters: number
  state: DeploymentState
  message: string
  created_at: string
  updated_at: string
}

interface ReplicaRow {
  deployment: string
  idx: number
  device_id: string
  module: string
  version: number
  state: ReplicaState
  gpu_slots: string
  location: 'edge' | 'cloud'
  estimated_latency_ms: number
  score: number
  reason: string
  updated_at: string
}

const DEPLOYMENT_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
const MODULE = /^([a-z][a-z0-9_-]{0,63}|sha256:[0-9a-f]{64})$/

export interface OrchestratorOptions {
  store: Store
  runner?: ReplicaRunner
  now?: () => number
  /** A device silent for this long is failed (default 3 heartbeats of 1 s plus slack: 3.5 s). */
  failAfterMs?: number
  onEvent?: (event: OrchestratorEvent) => void
  /**
   * Why a deployment (or a placement preview, null) may not use cloud nodes, or null when it may:
   * the host answers from the edge_cloud_continuum flag. Unset: always allowed.
   */
  cloudRefused?: (deployment: string | null) => string | null
}

export class Orchestrator {
  readonly registry: DeviceRegistry
  private runner: ReplicaRunner
  private readonly db: Database.Database
  private readonly now: () => number
  private readonly failAfterMs: number
  private readonly onEvent: (event: OrchestratorEvent) => void
  private readonly cloudRefused: (deployment: string | null) => string | null
  private queue: Promise<unknown> = Promise.resolve()
  private monitor: NodeJS.Timeout | null = null
  private closed = false
  /** Devices that sent a heartbeat since this process started: only they can be judged silent. */
  private readonly live = new Set<string>()
  /**
   * Devices with a reconcile queued or running. Their heartbeats wait for it instead of queueing
   * another: that one would still see the replica it is starting as missing, and start it again.
   */
  private readonly reconciling = new Set<string>()

  constructor(options: OrchestratorOptions) {
    this.registry = new DeviceRegistry(options.store, options.now)
    this.db = options.store.db
    this.runner = options.runner ?? new UnattachedRunner()
    this.now = options.now ?? Date.now
    this.failAfterMs = options.failAfterMs ?? 3500
    this.onEvent = options.onEvent ?? (() => {})
    this.cloudRefused = options.cloudRefused ?? (() => null)
  }

  /** Place for a deployment (or a preview, null), kept off cloud nodes while its flag says so. */
  private placeUnderFlag(deployment: string | null, requirements: Requirements, options: PlaceOptions): PlacementResult {
    const refused = this.cloudRefused(deployment)
    return this.registry.index.place(requirements, { ...(refused ? { edgeOnly: refused } : {}), ...options })
  }

  /** The composition root hands over the agents' runner when the protocol peer exists. */
  attachRunner(runner: ReplicaRunner): void {
    this.runner = runner
  }

  /** One change at a time, in order. */
  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  // -------------------------------------------------------------------------------------------
  // Placement without deploying

  place(requirements: Requirements, options: PlaceOptions): PlacementResult {
    this.registry.sync()
    return this.placeUnderFlag(null, requirements, options)
  }

  // -------------------------------------------------------------------------------------------
  // Heartbeats and failures

  heartbeat(deviceId: string, beat: { load?: number; rttMs?: number }): void {
    const wasOffline = this.registry.index.get(deviceId)?.state === 'offline'
    this.registry.heartbeat(deviceId, beat)
    this.live.add(deviceId)
    if (wasOffline) this.onEvent({ kind: 'device', name: deviceId, detail: 'back online' })
  }

  /** Check for silent devices every `everyMs`; their replicas are rescheduled at once. */
  startMonitoring(everyMs = 500): void {
    if (this.monitor) return
    this.monitor = setInterval(() => {
      this.registry.flush()
      void this.detectFailures().catch(() => undefined)
    }, everyMs)
    this.monitor.unref()
  }

  /** Devices silent for longer than failAfterMs become offline; their replicas go elsewhere. */
  async detectFailures(): Promise<string[]> {
    const now = this.now()
    const failed: string[] = []
    for (const id of this.live) {
      const d = this.registry.index.get(id)
      if (!d) {
        this.live.delete(id)
        continue
      }
      if (d.state !== 'offline' && now - d.lastSeenMs > this.failAfterMs) failed.push(id)
    }
    for (const id of failed) await this.deviceFailed(id, `no heartbeat for ${Math.round((now - this.registry.get(id).lastSeenMs) / 100) / 10} s`)
    return failed
  }

  /** A device is gone (silent, or its agent disconnected): mark it offline and move its replicas. */
  deviceFailed(deviceId: string, why: string): Promise<ReplicaView[]> {
    // A console that stops drops every link itself: its agents keep their replicas running and
    // reconnect to the next console, so nothing is lost or moved.
    if (this.closed) return Promise.resolve([])
    return this.serial(async () => {
      const device = this.registry.index.get(deviceId)
      if (!device || device.state === 'offline') return []
      this.registry.setState(deviceId, 'offline')
      this.registry.index.refresh(device)
      this.registry.flush()
      this.onEvent({ kind: 'failure', name: deviceId, detail: why })
      const rows = this.db.prepare("SELECT * FROM edge_replicas WHERE device_id = ? AND state != 'stopped' ORDER BY deployment, idx").all(deviceId) as ReplicaRow[]
      const moved: ReplicaView[] = []
      const lost = new Map<string, string>()
      for (const row of rows) {
        const dep = this.row(row.deployment)
        const req = JSON.parse(dep.requirements) as Requirements
        this.registry.index.release(row.device_id, req, JSON.parse(row.gpu_slots))
        try {
          const [placement] = this.placeFor(dep, 1, this.devicesOf(row.deployment, row.idx)).replicas
          await this.startReplica(dep, row.idx, placement, row.module, row.version)
          this.onEvent({ kind: 'rescheduled', name: `${row.deployment}/${row.idx}`, detail: `${deviceId} → ${placement.deviceId}` })
        } catch (err) {
          this.setReplicaState(row.deployment, row.idx, 'failed')
          lost.set(row.deployment, `replica ${row.idx} lost with ${deviceId} and not rescheduled: ${(err as Error).message}`)
        }
        moved.push(this.view(row.deployment).instances.find((r) => r.replica === row.idx)!)
      }
      for (const name of new Set(rows.map((r) => r.deployment))) this.refreshState(name, lost.get(name) ?? `rescheduled from ${deviceId} (${why})`)
      return moved
    })
  }

  /**
   * Bring a connected agent in line with the database, which other processes on this data folder
   * (`dwcp deploy`, `dwcp scale` beside a running console) also write: start the replicas placed on
   * it and those it should run but does not report (it restarted), and stop those it reports that
   * are no longer wanted there. `reported` holds `deployment#index` keys from its heartbeat state.
   */
  reconcile(deviceId: string, reported: readonly string[]): Promise<void> {
    if (this.reconciling.has(deviceId) || !this.runner.reaches?.(deviceId)) return Promise.resolve()
    const rows = this.db.prepare("SELECT * FROM edge_replicas WHERE device_id = ? AND state != 'stopped'").all(deviceId) as ReplicaRow[]
    const wanted = new Set(rows.map((r) => `${r.deployment}#${r.idx}`))
    const running = new Set(reported)
    const toStart = rows.filter((r) => r.state === 'placed' || (r.state === 'running' && !running.has(`${r.deployment}#${r.idx}`)))
    const toStop = reported.filter((key) => !wanted.has(key))
    if (toStart.length === 0 && toStop.length === 0) return Promise.resolve()
    this.reconciling.add(deviceId)
    return this.serial(async () => {
      for (const key of toStop) {
        const cut = key.lastIndexOf('#')
        await this.runner.stop({ deployment: key.slice(0, cut), replica: Number(key.slice(cut + 1)), module: '', version: 0, deviceId })
      }
      for (const row of toStart) {
        // Re-read: the row may have moved or gone while this waited in the queue.
        const now = this.db.prepare('SELECT * FROM edge_replicas WHERE deployment = ? AND idx = ?').get(row.deployment, row.idx) as ReplicaRow | undefined
        if (!now || now.device_id !== deviceId || (now.state !== 'placed' && now.state !== 'running')) continue
        const status = await this.runner.start(this.ref(now))
        this.setReplicaState(now.deployment, now.idx, status.state)
        this.refreshState(now.deployment, status.state === 'failed' ? `replica ${now.idx} failed to start on ${deviceId}: ${status.message ?? ''}` : `replica ${now.idx} started on ${deviceId}`)
      }
    }).finally(() => this.reconciling.delete(deviceId))
  }

  /** Forget a device; refused while it holds replicas (migrate or destroy them first). */
  removeDevice(id: string): Device {
    this.registry.sync()
    const held = this.db.prepare('SELECT deployment, idx FROM edge_replicas WHERE device_id = ?').all(id) as { deployment: string; idx: number }[]
    if (held.length > 0) throw new OrchestratorError('conflict', `device ${id} holds ${held.map((h) => `${h.deployment}/${h.idx}`).join(', ')}: migrate or destroy them first`)
    this.live.delete(id)
    return this.registry.remove(id)
  }

  // -------------------------------------------------------------------------------------------
  // Deployments

  list(): DeploymentView[] {
    const names = this.db.prepare('SELECT name FROM edge_deployments ORDER BY name').pluck().all() as string[]
    return names.map((n) => this.view(n))
  }

  get(name: string): DeploymentView {
    this.row(name)
    return this.view(name)
  }

  create(spec: DeploymentSpec): Promise<DeploymentView> {
    return this.serial(async () => {
      validateSpec(spec)
      this.registry.sync()
      if (this.db.prepare('SELECT 1 FROM edge_deployments WHERE name = ?').get(spec.name)) throw new OrchestratorError('conflict', `deployment ${spec.name} exists already (scale, update or destroy it)`)
      const placement = this.placeUnderFlag(spec.name, spec.requirements, { strategy: spec.strategy, replicas: spec.replicas, spanClusters: spec.spanClusters ?? false })
      const at = new Date(this.now()).toISOString()
      this.db
        .prepare('INSERT INTO edge_deployments (name, module, version, replicas, requirements, strategy, span_clusters, state, message, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(spec.name, spec.module, spec.replicas, JSON.stringify(spec.requirements), spec.strategy, spec.spanClusters ? 1 : 0, 'placed', 'starting replicas', at, at)
      const dep = this.row(spec.name)
      for (const p of placement.replicas) await this.startReplica(dep, p.replica, p, spec.module, 1)
      this.refreshState(spec.name, `deployed ${spec.replicas} replica${spec.replicas === 1 ? '' : 's'}`)
      return this.view(spec.name)
    })
  }

  scale(name: string, replicas: number): Promise<DeploymentView> {
    return this.serial(async () => {
      if (!(Number.isInteger(replicas) && replicas >= 0 && replicas <= 1000)) throw new OrchestratorError('bad_request', 'replicas is a whole number 0–1000')
      this.registry.sync()
      const dep = this.row(name)
      const current = this.replicaRows(name)
      if (replicas > current.length) {
        const placement = this.placeFor(dep, replicas - current.length, this.devicesOf(name))
        let idx = current.reduce((m, r) => Math.max(m, r.idx + 1), 0)
        for (const p of placement.replicas) await this.startReplica(dep, idx++, p, dep.module, dep.version)
      } else {
        for (const r of current.slice(replicas)) await this.removeReplica(dep, r)
      }
      this.db.prepare('UPDATE edge_deployments SET replicas = ?, updated_at = ? WHERE name = ?').run(replicas, new Date(this.now()).toISOString(), name)
      this.refreshState(name, `scaled from ${current.length} to ${replicas}`)
      return this.view(name)
    })
  }

  /**
   * Rolling update: one replica at a time, each started on the new module and health-checked before
   * the next. The first failure stops the update: that replica goes back to the old module, the
   * rest are left untouched, and the deployment says what happened.
   */
  update(name: string, change: { module: string }): Promise<DeploymentView> {
    return this.serial(async () => {
      if (!MODULE.test(change.module)) throw new OrchestratorError('bad_request', 'module is a built-in workload name or sha256:<64 hex>')
      const dep = this.row(name)
      const version = dep.version + 1
      this.setDeployment(name, 'updating', `rolling update to ${change.module} (v${version})`)
      const rows = this.replicaRows(name)
      let done = 0
      for (const r of rows) {
        const old = this.ref(r)
        await this.runner.stop(old)
        const next: ReplicaRef = { ...old, module: change.module, version }
        const started = await this.runner.start(next)
        const healthy = started.state === 'running' || started.state === 'placed' ? await this.runner.status(next) : started
        if (healthy.state !== 'running' && healthy.state !== 'placed') {
          await this.runner.stop(next)
          const back = await this.runner.start(old)
          this.setReplicaState(name, r.idx, back.state)
          const message = `update to ${change.module} (v${version}) stopped at replica ${r.idx}: ${healthy.message ?? healthy.state}; ${done} of ${rows.length} replicas on v${version}, the rest on v${dep.version}`
          this.db.prepare('UPDATE edge_deployments SET state = ?, message = ?, updated_at = ? WHERE name = ?').run('failed', message, new Date(this.now()).toISOString(), name)
          throw new OrchestratorError('conflict', message)
        }
        this.db.prepare('UPDATE edge_replicas SET module = ?, version = ?, state = ?, updated_at = ? WHERE deployment = ? AND idx = ?').run(change.module, version, healthy.state, new Date(this.now()).toISOString(), name, r.idx)
        done++
      }
      this.db.prepare('UPDATE edge_deployments SET module = ?, version = ?, updated_at = ? WHERE name = ?').run(change.module, version, new Date(this.now()).toISOString(), name)
      this.refreshState(name, `updated ${done} replicas to ${change.module} (v${version})`)
      return this.view(name)
    })
  }

  destroy(name: string): Promise<{ name: string; stopped: number }> {
    return this.serial(async () => {
      const dep = this.row(name)
      const rows = this.replicaRows(name)
      for (const r of rows) await this.removeReplica(dep, r)
      this.db.prepare('DELETE FROM edge_deployments WHERE name = ?').run(name)
      this.onEvent({ kind: 'deployment', name, detail: 'destroyed' })
      return { name, stopped: rows.length }
    })
  }

  /**
   * Move replicas to another region or onto one device: each is started at its new place before
   * the old one stops. A region change is kept in the deployment's requirements.
   */
  migrate(name: string, target: { region?: string; deviceId?: string; replica?: number }): Promise<DeploymentView> {
    return this.serial(async () => {
      if (!target.region && !target.deviceId) throw new OrchestratorError('bad_request', 'migrate to a --region or a --device')
      this.registry.sync()
      const dep = this.row(name)
      const req = { ...(JSON.parse(dep.requirements) as Requirements), ...(target.region ? { region: target.region } : {}) }
      const rows = this.replicaRows(name).filter((r) => target.replica === undefined || r.idx === target.replica)
      if (rows.length === 0) throw new OrchestratorError('not_found', `deployment ${name} has no replica ${target.replica}`)
      if (target.deviceId && rows.length > 1) throw new OrchestratorError('bad_request', 'one device holds one replica of a deployment: name the replica to move with --replica')
      const moved = { ...dep, requirements: JSON.stringify(req) }
      // Every new place is found before anything moves, so a migration that cannot finish changes nothing.
      if (!target.deviceId) this.placeFor(moved, rows.length, this.devicesOf(name))
      if (target.region) this.db.prepare('UPDATE edge_deployments SET requirements = ? WHERE name = ?').run(JSON.stringify(req), name)
      for (const r of rows) {
        let placement: ReplicaPlacement
        if (target.deviceId) {
          const device = this.registry.get(target.deviceId)
          const fit = this.placeUnderFlag(dep.name, { ...req, region: device.region }, { strategy: dep.strategy, replicas: 1, exclude: new Set([...this.registry.index.all()].filter((d) => d.id !== device.id).map((d) => d.id)) })
          placement = fit.replicas[0]
        } else {
          placement = this.placeFor(moved, 1, this.devicesOf(name)).replicas[0]
        }
        const old = r
        await this.startReplica(moved, r.idx, placement, r.module, r.version, old)
      }
      this.refreshState(name, `migrated ${rows.length} replica${rows.length === 1 ? '' : 's'}${target.region ? ` to ${target.region}` : ` to ${target.deviceId}`}`)
      return this.view(name)
    })
  }

  /**
   * Move replicas where their deployment's objective scores better. Each replica is compared with
   * the best device for it if it were placed now (its own resources counted as free); a move needs
   * a gain of at least `minGain`. Without `apply`, only reports.
   */
  rebalance(options: { name?: string; apply?: boolean; minGain?: number } = {}): Promise<RebalanceReport> {
    return this.serial(async () => {
      this.registry.sync()
      const minGain = options.minGain ?? 0.05
      const names = options.name ? [this.row(options.name).name] : (this.db.prepare('SELECT name FROM edge_deployments ORDER BY name').pluck().all() as string[])
      const moves: RebalanceMove[] = []
      let before = 0
      let after = 0
      let count = 0
      for (const name of names) {
        const dep = this.row(name)
        const req = JSON.parse(dep.requirements) as Requirements
        for (const r of this.replicaRows(name)) {
          const slots = JSON.parse(r.gpu_slots) as number[]
          this.registry.index.release(r.device_id, req, slots)
          let current = r.score
          let best: ReplicaPlacement | null = null
          try {
            const others = this.devicesOf(name, r.idx)
            best = this.placeFor(dep, 1, others).replicas[0]
            const here = this.scoreOn(dep, r.device_id, others)
            if (here !== null) current = here
          } catch {
            best = null
          }
          // Take the resources back (GPU slots may differ from before: record the ones now held).
          r.gpu_slots = JSON.stringify(this.registry.index.allocate(r.device_id, req))
          this.db.prepare('UPDATE edge_replicas SET gpu_slots = ? WHERE deployment = ? AND idx = ?').run(r.gpu_slots, name, r.idx)
          count++
          before += current
          if (!best || best.deviceId === r.device_id || best.score.total - current < minGain) {
            after += current
            continue
          }
          moves.push({ deployment: name, replica: r.idx, from: r.device_id, to: best.deviceId, scoreBefore: round3(current), scoreAfter: best.score.total, gain: round3(best.score.total - current) })
          after += best.score.total
          if (options.apply) {
            const fresh = this.placeFor(dep, 1, this.devicesOf(name))
            await this.startReplica(dep, r.idx, fresh.replicas[0], r.module, r.version, r)
          }
        }
        if (options.apply) this.refreshState(name, `rebalanced: ${moves.filter((m) => m.deployment === name).length} replicas moved`)
      }
      return {
        applied: options.apply ?? false,
        moves,
        totalGain: round3(moves.reduce((s, m) => s + m.gain, 0)),
        meanBefore: count ? round3(before / count) : 0,
        meanAfter: count ? round3(after / count) : 0,
      }
    })
  }

  close(): void {
    this.closed = true
    if (this.monitor) clearInterval(this.monitor)
    this.monitor = null
    this.registry.flush()
  }

  // -------------------------------------------------------------------------------------------
  // Inside

  private row(name: string): DeploymentRow {
    const row = this.db.prepare('SELECT * FROM edge_deployments WHERE name = ?').get(name) as DeploymentRow | undefined
    if (!row) throw new OrchestratorError('not_found', `no deployment ${name}`)
    return row
  }

  private replicaRows(name: string): ReplicaRow[] {
    return this.db.prepare('SELECT * FROM edge_replicas WHERE deployment = ? ORDER BY idx').all(name) as ReplicaRow[]
  }

  /** Devices holding this deployment's replicas (but for one replica being moved). */
  private devicesOf(name: string, but?: number): Set<string> {
    return new Set(this.replicaRows(name).filter((r) => r.idx !== but).map((r) => r.device_id))
  }

  private placeFor(dep: DeploymentRow, replicas: number, exclude: Set<string>): PlacementResult {
    return this.placeUnderFlag(dep.name, JSON.parse(dep.requirements) as Requirements, { strategy: dep.strategy, replicas, exclude, spanClusters: dep.span_clusters === 1 })
  }

  /** The score a replica has on a device, placed as if it were the only choice. */
  private scoreOn(dep: DeploymentRow, deviceId: string, others: Set<string>): number | null {
    const exclude = new Set<string>(others)
    for (const d of this.registry.index.all()) if (d.id !== deviceId) exclude.add(d.id)
    try {
      return this.placeFor({ ...dep, span_clusters: 0 }, 1, exclude).replicas[0].score.total
    } catch {
      return null
    }
  }

  private ref(r: ReplicaRow): ReplicaRef {
    const dep = this.row(r.deployment)
    const req = JSON.parse(dep.requirements) as Requirements
    return { deployment: r.deployment, replica: r.idx, module: r.module, version: r.version, deviceId: r.device_id, ...(req.memoryMb ? { memoryMb: req.memoryMb } : {}) }
  }

  /**
   * Take the resources on the placed device, record the replica there and start it. When it
   * replaces an older instance (`previous`), that one is stopped and its resources freed after.
   */
  private async startReplica(dep: DeploymentRow, idx: number, p: ReplicaPlacement, module: string, version: number, previous?: ReplicaRow): Promise<void> {
    const req = JSON.parse(dep.requirements) as Requirements
    const slots = this.registry.index.allocate(p.deviceId, req)
    const at = new Date(this.now()).toISOString()
    const ref: ReplicaRef = { deployment: dep.name, replica: idx, module, version, deviceId: p.deviceId, ...(req.memoryMb ? { memoryMb: req.memoryMb } : {}) }
    const status = await this.runner.start(ref)
    if (previous) {
      await this.runner.stop(this.ref(previous))
      this.registry.index.release(previous.device_id, JSON.parse(this.row(previous.deployment).requirements) as Requirements, JSON.parse(previous.gpu_slots))
    }
    this.db
      .prepare(
        `INSERT INTO edge_replicas (deployment, idx, device_id, module, version, state, gpu_slots, location, estimated_latency_ms, score, reason, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (deployment, idx) DO UPDATE SET device_id = excluded.device_id, module = excluded.module, version = excluded.version, state = excluded.state,
           gpu_slots = excluded.gpu_slots, location = excluded.location, estimated_latency_ms = excluded.estimated_latency_ms, score = excluded.score,
           reason = excluded.reason, updated_at = excluded.updated_at`,
      )
      .run(dep.name, idx, p.deviceId, module, version, status.state, JSON.stringify(slots), p.location, p.estimatedLatencyMs, p.score.total, status.state === 'failed' ? `${p.reason} — start failed: ${status.message ?? ''}` : p.reason, at)
  }

  private async removeReplica(dep: DeploymentRow, r: ReplicaRow): Promise<void> {
    await this.runner.stop(this.ref(r))
    this.registry.index.release(r.device_id, JSON.parse(dep.requirements) as Requirements, JSON.parse(r.gpu_slots))
    this.db.prepare('DELETE FROM edge_replicas WHERE deployment = ? AND idx = ?').run(r.deployment, r.idx)
  }

  private setReplicaState(name: string, idx: number, state: ReplicaState): void {
    this.db.prepare('UPDATE edge_replicas SET state = ?, updated_at = ? WHERE deployment = ? AND idx = ?').run(state, new Date(this.now()).toISOString(), name, idx)
  }

  private setDeployment(name: string, state: DeploymentState, message: string): void {
    this.db.prepare('UPDATE edge_deployments SET state = ?, message = ?, updated_at = ? WHERE name = ?').run(state, message, new Date(this.now()).toISOString(), name)
  }

  /** The deployment's state follows from its replicas'. */
  private refreshState(name: string, message: string): void {
    const dep = this.row(name)
    const rows = this.replicaRows(name)
    const running = rows.filter((r) => r.state === 'running').length
    const placed = rows.filter((r) => r.state === 'placed').length
    const state: DeploymentState = rows.length < dep.replicas || rows.some((r) => r.state === 'failed') ? 'degraded' : running === rows.length ? 'running' : placed > 0 && running + placed === rows.length ? 'placed' : 'degraded'
    this.setDeployment(name, state, message)
    this.onEvent({ kind: 'deployment', name, detail: message })
  }

  private view(name: string): DeploymentView {
    const dep = this.row(name)
    return {
      name: dep.name,
      module: dep.module,
      version: dep.version,
      replicas: dep.replicas,
      strategy: dep.strategy,
      requirements: JSON.parse(dep.requirements) as Requirements,
      spanClusters: dep.span_clusters === 1,
      state: dep.state,
      message: dep.message,
      createdAt: dep.created_at,
      updatedAt: dep.updated_at,
      instances: this.replicaRows(name).map((r) => {
        const device: Device | undefined = this.registry.index.get(r.device_id)
        return {
          replica: r.idx,
          deviceId: r.device_id,
          deviceName: device?.name ?? r.device_id,
          region: device?.region ?? '',
          cluster: device?.cluster ?? '',
          location: r.location,
          state: r.state,
          module: r.module,
          version: r.version,
          estimatedLatencyMs: r.estimated_latency_ms,
          score: r.score,
          reason: r.reason,
          updatedAt: r.updated_at,
        }
      }),
    }
  }
}

function validateSpec(spec: DeploymentSpec): void {
  if (!DEPLOYMENT_NAME.test(spec.name)) throw new OrchestratorError('bad_request', 'a deployment name is 1–63 lowercase letters, digits and -, starting and ending with a letter or digit')
  if (!MODULE.test(spec.module)) throw new OrchestratorError('bad_request', 'module is a built-in workload name or sha256:<64 hex>')
  if (!(Number.isInteger(spec.replicas) && spec.replicas >= 1 && spec.replicas <= 1000)) throw new OrchestratorError('bad_request', 'replicas is a whole number 1–1000')
  if (!STRATEGIES.includes(spec.strategy)) throw new OrchestratorError('bad_request', `strategy is one of ${STRATEGIES.join(', ')}`)
}

const round3 = (n: number) => Math.round(n * 1000) / 1000

export { NoFitError }
