/**
 * The device registry: SQLite for what must survive a restart, the in-memory DeviceIndex for
 * placement. Registrations are written in one transaction per batch; heartbeats only touch memory
 * and are written together every flush, so 10k heartbeats a second cost one small transaction.
 */
import type Database from 'better-sqlite3'
import type { Store } from '../store'
import { DeviceIndex } from './placement'
import { ORCHESTRATOR_MIGRATIONS } from './schema'
import { SLICES, type Device, type DeviceState, type Slice, type Tier } from './types'

export class OrchestratorError extends Error {
  constructor(
    readonly kind: 'bad_request' | 'not_found' | 'conflict' | 'unavailable',
    message: string,
  ) {
    super(message)
    this.name = 'OrchestratorError'
  }
}

export interface DeviceInput {
  id?: string
  name: string
  lat: number
  lon: number
  region: string
  cluster?: string
  tier?: Tier
  /** CPU cores (fractions allowed). */
  cpu: number
  memoryMb: number
  gpus?: number
  gpuModel?: string | null
  bandwidthMbps: number
  slice?: Slice | null
  costPerHour: number
  rttMs?: number | null
  source?: Device['source']
}

export interface Heartbeat {
  load?: number
  rttMs?: number
  state?: DeviceState
}

export interface DeviceView {
  id: string
  name: string
  lat: number
  lon: number
  region: string
  cluster: string
  tier: Tier
  cpu: number
  memoryMb: number
  gpus: number
  gpuModel: string | null
  bandwidthMbps: number
  slice: Slice | null
  costPerHour: number
  state: DeviceState
  load: number
  rttMs: number | null
  lastSeen: string | null
  source: Device['source']
  used: { cpu: number; memoryMb: number; gpuMilli: number }
}

interface Row {
  id: string
  name: string
  lat: number
  lon: number
  region: string
  cluster: string
  tier: Tier
  cpu_milli: number
  memory_mb: number
  gpus: number
  gpu_model: string | null
  bandwidth_mbps: number
  slice: Slice | null
  cost_per_hour: number
  state: DeviceState
  load: number
  rtt_ms: number | null
  last_seen_ms: number
  source: Device['source']
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

function validate(input: DeviceInput): void {
  const bad = (what: string) => {
    throw new OrchestratorError('bad_request', `device ${input.name ?? '?'}: ${what}`)
  }
  if (!NAME.test(input.id ?? input.name ?? '')) bad('a device id/name is 1–128 letters, digits and . _ : -')
  if (!(input.lat >= -90 && input.lat <= 90)) bad('lat must be between -90 and 90')
  if (!(input.lon >= -180 && input.lon <= 180)) bad('lon must be between -180 and 180')
  if (!NAME.test(input.region ?? '')) bad('region is required (letters, digits, - and _)')
  if (input.cluster !== undefined && !NAME.test(input.cluster)) bad('cluster must be letters, digits, - and _')
  if (!(input.cpu > 0 && input.cpu <= 4096)) bad('cpu is the number of cores, > 0')
  if (!(Number.isInteger(input.memoryMb) && input.memoryMb > 0)) bad('memoryMb is a whole number of MB, > 0')
  if (input.gpus !== undefined && !(Number.isInteger(input.gpus) && input.gpus >= 0 && input.gpus <= 64)) bad('gpus is a whole number 0–64')
  if (!(input.bandwidthMbps >= 0)) bad('bandwidthMbps must be ≥ 0')
  if (!(input.costPerHour >= 0)) bad('costPerHour must be ≥ 0')
  if (input.slice != null && !SLICES.includes(input.slice)) bad(`slice is one of ${SLICES.join(', ')}`)
  if (input.tier !== undefined && input.tier !== 'edge' && input.tier !== 'cloud') bad('tier is edge or cloud')
}

export class DeviceRegistry {
  readonly index = new DeviceIndex()
  private readonly db: Database.Database
  private readonly dirty = new Set<string>()
  private dataVersion = -1
  private readonly insert: Database.Statement
  private readonly writeLive: Database.Statement
  private readonly deleteOne: Database.Statement

  constructor(
    store: Store,
    private readonly now: () => number = Date.now,
  ) {
    store.migrate('orchestrator', ORCHESTRATOR_MIGRATIONS)
    this.db = store.db
    this.insert = this.db.prepare(`
      INSERT INTO edge_devices (id, name, lat, lon, region, cluster, tier, cpu_milli, memory_mb, gpus, gpu_model, bandwidth_mbps, slice, cost_per_hour, state, load, rtt_ms, last_seen_ms, source, registered_at)
      VALUES (@id, @name, @lat, @lon, @region, @cluster, @tier, @cpuMilli, @memoryMb, @gpus, @gpuModel, @bandwidthMbps, @slice, @costPerHour, @state, @load, @rttMs, @lastSeenMs, @source, @registeredAt)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, lat = excluded.lat, lon = excluded.lon, region = excluded.region, cluster = excluded.cluster,
        tier = excluded.tier, cpu_milli = excluded.cpu_milli, memory_mb = excluded.memory_mb, gpus = excluded.gpus, gpu_model = excluded.gpu_model,
        bandwidth_mbps = excluded.bandwidth_mbps, slice = excluded.slice, cost_per_hour = excluded.cost_per_hour, state = excluded.state,
        rtt_ms = excluded.rtt_ms, last_seen_ms = excluded.last_seen_ms, source = excluded.source`)
    this.writeLive = this.db.prepare('UPDATE edge_devices SET load = ?, rtt_ms = ?, state = ?, last_seen_ms = ? WHERE id = ?')
    this.deleteOne = this.db.prepare('DELETE FROM edge_devices WHERE id = ?')
    this.reload()
  }

  /** Another process (a `dwcp edge register` beside the app) committed: read the table again. */
  sync(): boolean {
    const version = this.db.pragma('data_version', { simple: true }) as number
    if (version === this.dataVersion) return false
    this.reload()
    return true
  }

  private reload(): void {
    this.dataVersion = this.db.pragma('data_version', { simple: true }) as number
    for (const d of [...this.index.all()]) this.index.remove(d.id)
    for (const row of this.db.prepare('SELECT * FROM edge_devices').iterate() as Iterable<Row>) this.index.upsert(fromRow(row))
    // What replicas hold is derived from the replicas table, so it never drifts from it.
    const held = this.db.prepare("SELECT r.device_id AS deviceId, r.gpu_slots AS slots, d.requirements AS req FROM edge_replicas r JOIN edge_deployments d ON d.name = r.deployment WHERE r.state != 'stopped'").all() as { deviceId: string; slots: string; req: string }[]
    for (const h of held) {
      const device = this.index.get(h.deviceId)
      if (!device) continue
      const req = JSON.parse(h.req) as { cpuMilli?: number; memoryMb?: number; gpuMilli?: number; gpus?: number }
      device.usedCpuMilli += req.cpuMilli ?? 0
      device.usedMemoryMb += req.memoryMb ?? 0
      const milli = (req.gpus ?? 0) === 1 && (req.gpuMilli ?? 1000) < 1000 ? req.gpuMilli! : 1000
      for (const slot of JSON.parse(h.slots) as number[]) if (slot < device.gpuFree.length) device.gpuFree[slot] = Math.max(0, device.gpuFree[slot] - milli)
      this.index.refresh(device)
    }
  }

  /** Register or update devices, all in one transaction. Existing allocations are kept. */
  register(inputs: DeviceInput[]): Device[] {
    inputs.forEach(validate)
    const now = this.now()
    const devices = inputs.map((input) => toDevice(input, now, this.index.get(input.id ?? input.name)))
    this.db.transaction(() => {
      for (const d of devices) this.insert.run({ ...d, registeredAt: new Date(now).toISOString() })
    })()
    for (const d of devices) this.index.upsert(d)
    this.dataVersion = this.db.pragma('data_version', { simple: true }) as number
    return devices
  }

  /** A heartbeat: memory only, written at the next flush. Unknown devices are refused. */
  heartbeat(id: string, beat: Heartbeat): Device {
    const d = this.index.get(id)
    if (!d) throw new OrchestratorError('not_found', `no device ${id}: register it first`)
    if (beat.load !== undefined) d.load = Math.min(1, Math.max(0, beat.load))
    if (beat.rttMs !== undefined) d.rttMs = Math.max(0, beat.rttMs)
    d.state = beat.state ?? (d.state === 'offline' ? 'online' : d.state)
    d.lastSeenMs = this.now()
    this.index.refresh(d)
    this.dirty.add(id)
    return d
  }

  setState(id: string, state: DeviceState): void {
    const d = this.index.get(id)
    if (!d || d.state === state) return
    d.state = state
    this.dirty.add(id)
  }

  /** Write the live figures of every device that changed since the last flush, in one transaction. */
  flush(): number {
    if (this.dirty.size === 0) return 0
    const ids = [...this.dirty]
    this.dirty.clear()
    this.db.transaction(() => {
      for (const id of ids) {
        const d = this.index.get(id)
        if (d) this.writeLive.run(d.load, d.rttMs, d.state, d.lastSeenMs, id)
      }
    })()
    this.dataVersion = this.db.pragma('data_version', { simple: true }) as number
    return ids.length
  }

  remove(id: string): Device {
    const d = this.index.get(id)
    if (!d) throw new OrchestratorError('not_found', `no device ${id}`)
    this.deleteOne.run(id)
    this.index.remove(id)
    this.dirty.delete(id)
    return d
  }

  get(id: string): Device {
    const d = this.index.get(id)
    if (!d) throw new OrchestratorError('not_found', `no device ${id}`)
    return d
  }

  list(filter: { region?: string; state?: DeviceState; cluster?: string } = {}): DeviceView[] {
    const out: DeviceView[] = []
    for (const d of this.index.all()) {
      if (filter.region && d.region !== filter.region) continue
      if (filter.state && d.state !== filter.state) continue
      if (filter.cluster && d.cluster !== filter.cluster) continue
      out.push(view(d))
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }
}

export function view(d: Device): DeviceView {
  return {
    id: d.id,
    name: d.name,
    lat: d.lat,
    lon: d.lon,
    region: d.region,
    cluster: d.cluster,
    tier: d.tier,
    cpu: d.cpuMilli / 1000,
    memoryMb: d.memoryMb,
    gpus: d.gpus,
    gpuModel: d.gpuModel,
    bandwidthMbps: d.bandwidthMbps,
    slice: d.slice,
    costPerHour: d.costPerHour,
    state: d.state,
    load: d.load,
    rttMs: d.rttMs,
    lastSeen: d.lastSeenMs > 0 ? new Date(d.lastSeenMs).toISOString() : null,
    source: d.source,
    used: { cpu: d.usedCpuMilli / 1000, memoryMb: d.usedMemoryMb, gpuMilli: d.gpuFree.reduce((sum, free) => sum + (1000 - free), 0) },
  }
}

function toDevice(input: DeviceInput, now: number, previous: Device | undefined): Device {
  const gpus = input.gpus ?? 0
  return {
    id: input.id ?? input.name,
    name: input.name,
    lat: input.lat,
    lon: input.lon,
    region: input.region,
    cluster: input.cluster ?? input.region,
    tier: input.tier ?? 'edge',
    cpuMilli: Math.round(input.cpu * 1000),
    memoryMb: input.memoryMb,
    gpus,
    gpuModel: gpus > 0 ? (input.gpuModel ?? null) : null,
    bandwidthMbps: input.bandwidthMbps,
    slice: input.slice ?? null,
    costPerHour: input.costPerHour,
    state: 'online',
    load: previous?.load ?? 0,
    rttMs: input.rttMs ?? previous?.rttMs ?? null,
    lastSeenMs: now,
    source: input.source ?? 'api',
    usedCpuMilli: previous?.usedCpuMilli ?? 0,
    usedMemoryMb: previous?.usedMemoryMb ?? 0,
    gpuFree: previous && previous.gpus === gpus ? previous.gpuFree : Array.from({ length: gpus }, () => 1000),
  }
}

function fromRow(r: Row): Device {
  return {
    id: r.id,
    name: r.name,
    lat: r.lat,
    lon: r.lon,
    region: r.region,
    cluster: r.cluster,
    tier: r.tier,
    cpuMilli: r.cpu_milli,
    memoryMb: r.memory_mb,
    gpus: r.gpus,
    gpuModel: r.gpu_model,
    bandwidthMbps: r.bandwidth_mbps,
    slice: r.slice,
    costPerHour: r.cost_per_hour,
    state: r.state,
    load: r.load,
    rttMs: r.rtt_ms,
    lastSeenMs: r.last_seen_ms,
    source: r.source,
    usedCpuMilli: 0,
    usedMemoryMb: 0,
    gpuFree: Array.from({ length: r.gpus }, () => 1000),
  }
}
