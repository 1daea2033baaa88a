/**
 * Placement: which devices run a workload's replicas, and why.
 *
 * Devices live in memory beside the registry, indexed so that a placement looks at tens or
 * hundreds of devices, not all of them. Scopes: per tier, with or without GPUs, in a region or
 * all, and per device class (size to a power of two, GPUs, model), so a class too small or too
 * dear for a request is skipped whole. Each scope ranks its devices by capacity and access RTT
 * (score buckets) and by bandwidth and price (sorted lists). Each group of scopes (all classes)
 * also has a map of 1° cells, whose devices are in bands of access RTT and in price, bandwidth and
 * capacity order, for walks around users and scans within a latency budget, and the same bands
 * fleet-wide for the weighted walk without users. Walks go best first and stop as soon as nothing
 * further can beat the replicas already found; around users they start at the users' cell and
 * widen. Every strategy returns exactly what a full scan and sort returns (property tests hold
 * them to it). Ties break by device id, so equal inputs give equal placements.
 */
import { accessRttMs, CELL_DEG, cellKey, cellLowerBoundKm, geoLatencyMs, KM_PER_RTT_MS } from './geo'
import {
  CONSTRAINTS,
  type Constraint,
  type Device,
  type GeoPoint,
  type PlacementResult,
  type ReplicaPlacement,
  type Requirements,
  type ScoreBreakdown,
  type Strategy,
  type Tier,
} from './types'

/** Latency budgets above this are latency-tolerant: such replicas go to cloud devices first. */
export const EDGE_LATENCY_LIMIT_MS = 50

export const INTELLIGENT_WEIGHTS = { latency: 0.35, capacity: 0.25, bandwidth: 0.15, cost: 0.25 } as const

export const latencyScore = (ms: number): number => 1 / (1 + ms / 10)
export function capacityScore(d: Device): number {
  const cpu = d.cpuMilli > 0 ? (d.cpuMilli - d.usedCpuMilli) / d.cpuMilli : 0
  const mem = d.memoryMb > 0 ? (d.memoryMb - d.usedMemoryMb) / d.memoryMb : 0
  return Math.max(0, Math.min(cpu, mem)) * (1 - Math.min(1, Math.max(0, d.load)))
}
export const bandwidthScore = (d: Device): number => Math.min(1, Math.log10(1 + Math.max(0, d.bandwidthMbps)) / 4)
export const costScore = (d: Device): number => 1 / (1 + Math.max(0, d.costPerHour))
const rttScore = (d: Device): number => latencyScore(accessRttMs(d))

export class NoFitError extends Error {
  constructor(
    readonly constraint: Constraint,
    readonly excluded: Partial<Record<Constraint, number>>,
    readonly devices: number,
    readonly placed: number,
    readonly wanted: number,
    detail: string,
  ) {
    super(
      devices === 0
        ? 'no device fits: no devices are registered'
        : (excluded[constraint] ?? 0) === 0
          ? `no device fits${placed > 0 ? ` ${wanted - placed} of ${wanted} replicas` : ''}: ${detail}`
          : `no device fits${placed > 0 ? ` ${wanted - placed} of ${wanted} replicas` : ''}: ${constraint} excluded the most devices (${excluded[constraint] ?? 0} of ${devices}; ${detail})`,
    )
    this.name = 'NoFitError'
  }
}

// ---------------------------------------------------------------------------------------------
// Fit

export function gpuFits(d: Device, req: Requirements): boolean {
  const n = req.gpus ?? 0
  if (n <= 0) return true
  const milli = req.gpuMilli ?? 1000
  if (n === 1 && milli < 1000) return d.gpuFree.some((free) => free >= milli)
  let whole = 0
  for (const free of d.gpuFree) if (free >= 1000) whole++
  return whole >= n
}

interface Scan {
  req: Requirements
  tier: Tier | null
  exclude: ReadonlySet<string>
}

/** The first hard constraint a device breaks, or null. */
function breaks(d: Device, s: Scan, estimatedMs: number): Constraint | null {
  const req = s.req
  if (d.state === 'offline') return 'state'
  if (req.region !== undefined && d.region !== req.region) return 'region'
  if (req.clusters !== undefined && req.clusters.length > 0 && !req.clusters.includes(d.cluster)) return 'cluster'
  if (s.tier !== null && d.tier !== s.tier) return 'tier'
  if (req.slice !== undefined && d.slice !== req.slice) return 'slice'
  if ((req.cpuMilli ?? 0) > d.cpuMilli - d.usedCpuMilli) return 'cpu'
  if ((req.memoryMb ?? 0) > d.memoryMb - d.usedMemoryMb) return 'memory'
  if ((req.gpus ?? 0) > 0 && req.gpuModels && req.gpuModels.length > 0 && !req.gpuModels.includes(d.gpuModel ?? '')) return 'gpu_model'
  if (!gpuFits(d, req)) return 'gpu'
  if (req.maxLatencyMs !== undefined && estimatedMs > req.maxLatencyMs) return 'latency'
  if (req.costCeiling !== undefined && d.costPerHour > req.costCeiling) return 'cost'
  if (s.exclude.has(d.id)) return 'spread'
  return null
}

function estimate(d: Device, req: Requirements): { geoMs: number; rttMs: number; total: number } {
  const geoMs = geoLatencyMs(req.origin, d)
  const rttMs = accessRttMs(d)
  return { geoMs, rttMs, total: geoMs + rttMs }
}

function breakdown(d: Device, estimatedMs: number, strategy: Strategy): ScoreBreakdown {
  const parts = { latency: latencyScore(estimatedMs), capacity: capacityScore(d), bandwidth: bandwidthScore(d), cost: costScore(d) }
  const total =
    strategy === 'intelligent'
      ? INTELLIGENT_WEIGHTS.latency * parts.latency + INTELLIGENT_WEIGHTS.capacity * parts.capacity + INTELLIGENT_WEIGHTS.bandwidth * parts.bandwidth + INTELLIGENT_WEIGHTS.cost * parts.cost
      : parts[strategy]
  return { ...parts, total }
}

/** The figure a strategy ranks by (higher is better). */
function rank(d: Device, estimatedMs: number, strategy: Strategy): number {
  switch (strategy) {
    case 'latency':
      return latencyScore(estimatedMs)
    case 'capacity':
      return capacityScore(d)
    case 'bandwidth':
      return bandwidthScore(d)
    case 'cost':
      return costScore(d)
    case 'intelligent':
      // The same arithmetic as breakdown(), in the same order (so the same figure), without an object per device.
      return INTELLIGENT_WEIGHTS.latency * latencyScore(estimatedMs) + INTELLIGENT_WEIGHTS.capacity * capacityScore(d) + INTELLIGENT_WEIGHTS.bandwidth * bandwidthScore(d) + INTELLIGENT_WEIGHTS.cost * costScore(d)
  }
}

interface Candidate {
  device: Device
  score: number
  estimatedMs: number
}

const better = (a: Candidate, b: Candidate): boolean => a.score > b.score || (a.score === b.score && a.device.id < b.device.id)
/** Whether a device with this score would rank above candidate b. */
const outranks = (score: number, d: Device, b: Candidate): boolean => score > b.score || (score === b.score && d.id < b.device.id)

/** Bounds are compared with this much slack: a sum in another order may differ in the last bit. */
const SLACK = 1e-9

/** The k best candidates, best first. */
class TopK {
  readonly items: Candidate[] = []
  constructor(readonly k: number) {}
  get full(): boolean {
    return this.items.length >= this.k
  }
  get worst(): Candidate | undefined {
    return this.items[this.items.length - 1]
  }
  offer(c: Candidate): void {
    if (this.k <= 0) return
    if (this.full && !better(c, this.worst!)) return
    let i = this.items.length
    while (i > 0 && better(c, this.items[i - 1])) i--
    this.items.splice(i, 0, c)
    if (this.items.length > this.k) this.items.pop()
  }
  /** Whether a device with this score would get in (no object made: this runs per device). */
  admits(score: number, d: Device): boolean {
    return !this.full || outranks(score, d, this.worst!)
  }
  consider(device: Device, estimatedMs: number, score: number): void {
    if (this.admits(score, device)) this.offer({ device, estimatedMs, score })
  }
  /** What a bound must reach for anything it bounds to get in, less the slack (-Infinity until full). */
  get bar(): number {
    return this.full ? this.worst!.score - SLACK : -Infinity
  }
}

// ---------------------------------------------------------------------------------------------
// Index

const BUCKETS = 256
const bucketOf = (score: number): number => Math.min(BUCKETS - 1, Math.max(0, Math.floor((1 - score) * BUCKETS)))

/** Devices by a score in [0, 1], best bucket first; moving a device is O(1). */
class ScoreBuckets {
  /** Made when first used: a fleet has hundreds of scopes, most of them small. */
  private readonly buckets: (Set<Device> | undefined)[] = new Array(BUCKETS)
  private readonly where = new Map<string, number>()
  constructor(private readonly scoreOf: (d: Device) => number) {}

  put(d: Device): void {
    const b = bucketOf(this.scoreOf(d))
    const at = this.where.get(d.id)
    if (at === b) return
    if (at !== undefined) this.buckets[at]!.delete(d)
    ;(this.buckets[b] ??= new Set()).add(d)
    this.where.set(d.id, b)
  }

  remove(d: Device): void {
    const at = this.where.get(d.id)
    if (at === undefined) return
    this.buckets[at]!.delete(d)
    this.where.delete(d.id)
  }

  /** Visit devices best bucket first until `stop(nextBucketBest)` says nothing further can win. */
  walk(visit: (d: Device) => void, stop: (bestRemaining: number) => boolean): void {
    for (let b = 0; b < BUCKETS; b++) {
      const bucket = this.buckets[b]
      if (bucket !== undefined && bucket.size > 0) for (const d of bucket) visit(d)
      if (stop(1 - (b + 1) / BUCKETS)) return
    }
  }
}

/** Devices ranked by a figure that only changes on registration (price, bandwidth): sorted once, lazily. */
class StaticRanking {
  private readonly members = new Set<Device>()
  private sorted: Device[] = []
  private stale = false
  constructor(private readonly scoreOf: (d: Device) => number) {}

  add(d: Device): void {
    this.members.add(d)
    this.stale = true
  }

  remove(d: Device): void {
    if (this.members.delete(d)) this.stale = true
  }

  /** Visit in ranking order until `beaten(score, device)`: nothing after it can rank higher. */
  walk(visit: (d: Device) => void, beaten: (score: number, d: Device) => boolean): void {
    if (this.stale) {
      const score = new Map<Device, number>()
      for (const d of this.members) score.set(d, this.scoreOf(d))
      this.sorted = [...this.members].sort((a, b) => score.get(b)! - score.get(a)! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      this.stale = false
    }
    for (const d of this.sorted) {
      if (beaten(this.scoreOf(d), d)) return
      visit(d)
    }
  }
}

/**
 * The part of the intelligent score that depends neither on the request nor on live load: it only
 * changes when a device registers again (which moves it out of and into its cell).
 */
const intelligentStatic = (d: Device) => INTELLIGENT_WEIGHTS.bandwidth * bandwidthScore(d) + INTELLIGENT_WEIGHTS.cost * costScore(d)
type RankedFigure = 'cost' | 'bandwidth' | 'capacity'

interface Ranked {
  device: Device
  score: number
}

/**
 * Lower edges of the access-RTT bands inside a cell (ms): 1 ms wide where edge links sit, so the
 * fastest link of a band is never far from a device's own.
 */
const RTT_BANDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 20, 24, 32, 48, 64, 96, 128]
if (RTT_BANDS.length > 32) throw new Error('a cell keeps its occupied bands in a 32-bit mask')
const rttBand = (rtt: number): number => {
  let band = 0
  while (band + 1 < RTT_BANDS.length && rtt >= RTT_BANDS[band + 1]) band++
  return band
}

const byScoreThenId = (a: Ranked, b: Ranked): number => b.score - a.score || (a.device.id < b.device.id ? -1 : a.device.id > b.device.id ? 1 : 0)

/** The weighted score without its latency term: what a device offers wherever the users are. */
const intelligentStanding = (d: Device): number => intelligentStatic(d) + INTELLIGENT_WEIGHTS.capacity * capacityScore(d)

/** A device in a grid, with the live figures a walk checks first (so most devices are passed over without reading them). */
interface Standing extends Ranked {
  /** intelligentStanding of the device. */
  score: number
  rttMs: number
  /** Its RTT band in its cell. */
  band: number
  /** Where it sits in its grid's buckets (CellGrid.anywhere): which bucket, and where in it. */
  bucket: number
  slot: number
}

/**
 * The devices of one lat/lon cell, in the orders walks and scans read: in bands of access RTT, each
 * best first by the weighted score without its latency term (so a walk bounds a band by its fastest
 * link and its first device), and by price, bandwidth and capacity for budget scans. Live changes
 * move a device inside its band, or to another band.
 */
class Cell {
  /** Devices of band b at b. */
  readonly bands: Standing[][] = RTT_BANDS.map(() => [])
  /** Bit b is set when band b has devices: a cell holds a handful of devices and walks look only at those bands. */
  occupiedBands = 0
  /** The best score without the latency term of any device here: a walk passes the cell on this alone when it cannot win. */
  bestStanding = -Infinity
  private readonly where = new Map<Device, Standing>()
  /** Devices by price and by bandwidth, kept in order as they come and go. */
  private readonly byCost: Ranked[] = []
  private readonly byBandwidth: Ranked[] = []
  /** By live capacity: sorted when a scan asks after a change. */
  private byCapacity: Ranked[] | null = null

  get size(): number {
    return this.where.size
  }

  /** Live figures of a device here changed (or it arrived): its entry, up to date. */
  put(d: Device): Standing {
    this.byCapacity = null
    const rttMs = accessRttMs(d)
    const band = rttBand(rttMs)
    const score = intelligentStanding(d)
    let entry = this.where.get(d)
    if (!entry) {
      insertSorted(this.byCost, { device: d, score: costScore(d) })
      insertSorted(this.byBandwidth, { device: d, score: bandwidthScore(d) })
      this.where.set(d, (entry = { device: d, score, rttMs, band, bucket: -1, slot: -1 }))
      this.enter(entry)
      this.rescored(-Infinity, score)
      return entry
    }
    const list = this.bands[entry.band]
    const i = list.indexOf(entry)
    const old = entry.score
    entry.score = score
    entry.rttMs = rttMs
    // Most heartbeats leave a device where it was: same band, still between its neighbours.
    const inPlace = entry.band === band && (i === 0 || byScoreThenId(list[i - 1], entry) < 0) && (i === list.length - 1 || byScoreThenId(entry, list[i + 1]) < 0)
    if (!inPlace) {
      this.leave(entry, i)
      entry.band = band
      this.enter(entry)
    }
    this.rescored(old, score)
    return entry
  }

  /** The device left: its entry, or undefined when it was not here. */
  remove(d: Device): Standing | undefined {
    const entry = this.where.get(d)
    if (!entry) return undefined
    this.leave(entry, this.bands[entry.band].indexOf(entry))
    dropFrom(this.byCost, d)
    dropFrom(this.byBandwidth, d)
    this.where.delete(d)
    this.byCapacity = null
    if (entry.score === this.bestStanding) this.updateBest()
    return entry
  }

  private enter(entry: Standing): void {
    insertSorted(this.bands[entry.band], entry)
    this.occupiedBands |= 1 << entry.band
  }

  private leave(entry: Standing, i: number): void {
    const list = this.bands[entry.band]
    list.splice(i, 1)
    if (list.length === 0) this.occupiedBands &= ~(1 << entry.band)
  }

  /** Keeps the cell's best an exact bound: raised at once, worked out again only when the best fell. */
  private rescored(old: number, score: number): void {
    if (score >= this.bestStanding) this.bestStanding = score
    else if (old === this.bestStanding) this.updateBest()
  }

  /** A band's first device is its best, so the cell's best is the best of a few firsts. */
  private updateBest(): void {
    let best = -Infinity
    for (let bits = this.occupiedBands; bits !== 0; bits &= bits - 1) best = Math.max(best, this.bands[lowestBit(bits)][0].score)
    this.bestStanding = best
  }

  /** The cell's devices best first by a figure. */
  ranked(figure: RankedFigure): Ranked[] {
    if (figure === 'cost') return this.byCost
    if (figure === 'bandwidth') return this.byBandwidth
    if (!this.byCapacity) this.byCapacity = [...this.where.keys()].map((device) => ({ device, score: capacityScore(device) })).sort(byScoreThenId)
    return this.byCapacity
  }
}

/** Insert keeping best-first order: a cell's lists are short. */
function insertSorted<T extends Ranked>(list: T[], entry: T): void {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (byScoreThenId(list[mid], entry) < 0) lo = mid + 1
    else hi = mid
  }
  list.splice(lo, 0, entry)
}

/** Take a device out of a best-first list. */
function dropFrom(list: Ranked[], d: Device): void {
  const i = list.findIndex((entry) => entry.device === d)
  if (i >= 0) list.splice(i, 1)
}

/**
 * Bounds over every device that joined (a device leaving leaves them loose, never wrong), so a set
 * of devices too small or too dear is skipped at once.
 */
class FitBounds {
  private maxCpuMilli = 0
  private maxMemoryMb = 0
  private maxGpus = 0
  private minCostPerHour = Infinity
  private readonly gpuModels = new Set<string>()
  /** The highest static part of the weighted score of any device that joined. */
  maxIntelligentStatic = 0

  /** Whether any device here could meet the request's fixed needs. */
  mayFit(req: Requirements): boolean {
    const gpus = req.gpus ?? 0
    return (
      (req.cpuMilli ?? 0) <= this.maxCpuMilli &&
      (req.memoryMb ?? 0) <= this.maxMemoryMb &&
      gpus <= this.maxGpus &&
      (req.costCeiling === undefined || this.minCostPerHour <= req.costCeiling) &&
      (gpus === 0 || !req.gpuModels || req.gpuModels.length === 0 || req.gpuModels.some((m) => this.gpuModels.has(m)))
    )
  }

  add(d: Device): void {
    this.maxCpuMilli = Math.max(this.maxCpuMilli, d.cpuMilli)
    this.maxMemoryMb = Math.max(this.maxMemoryMb, d.memoryMb)
    this.maxGpus = Math.max(this.maxGpus, d.gpus)
    this.minCostPerHour = Math.min(this.minCostPerHour, d.costPerHour)
    if (d.gpuModel) this.gpuModels.add(d.gpuModel)
    this.maxIntelligentStatic = Math.max(this.maxIntelligentStatic, intelligentStatic(d))
  }
}

/**
 * A group's devices on the map, in 1° cells; and, for the weighted walk without users, all of them
 * in buckets by RTT band and score without the latency term. A device's entry is the same object in
 * its cell and its bucket, and knows its place in both, so a heartbeat moves it without a lookup.
 */
class CellGrid extends FitBounds {
  readonly cells = new Map<number, Cell>()
  /** Bucket (band b, score bucket s) at b × BUCKETS + s, made when first used; unordered inside. */
  readonly anywhere: (Standing[] | undefined)[] = new Array(RTT_BANDS.length * BUCKETS)

  override add(d: Device): void {
    super.add(d)
    const key = cellKey(d.lat, d.lon)
    let cell = this.cells.get(key)
    if (!cell) this.cells.set(key, (cell = new Cell()))
    this.file(cell.put(d))
  }

  remove(d: Device): void {
    const key = cellKey(d.lat, d.lon)
    const cell = this.cells.get(key)
    const entry = cell?.remove(d)
    if (!cell || !entry) return
    if (cell.size === 0) this.cells.delete(key)
    this.unfile(entry)
  }

  /** Live figures of a device changed. */
  refresh(d: Device): void {
    const cell = this.cells.get(cellKey(d.lat, d.lon))
    if (cell) this.file(cell.put(d))
  }

  /** Into the bucket of its band and score, unless it is there already. */
  private file(entry: Standing): void {
    const bucket = entry.band * BUCKETS + bucketOf(entry.score)
    if (entry.bucket === bucket) return
    if (entry.bucket >= 0) this.unfile(entry)
    const list = (this.anywhere[bucket] ??= [])
    entry.bucket = bucket
    entry.slot = list.length
    list.push(entry)
  }

  /** Out of its bucket: the last entry takes its slot. */
  private unfile(entry: Standing): void {
    const list = this.anywhere[entry.bucket]!
    const last = list.pop()!
    if (last !== entry) {
      list[entry.slot] = last
      last.slot = entry.slot
    }
    entry.bucket = -1
    entry.slot = -1
  }
}

/**
 * The rankings of one scope: the devices of one tier, with or without GPUs, in one region or all,
 * and of one class (what they can ever offer: their size to a power of two, GPUs, GPU model). A
 * class of small or expensive devices is skipped whole, instead of visited device by device.
 */
class Scope {
  readonly devices = new Set<Device>()
  constructor(readonly kind: string) {}
  readonly bounds = new FitBounds()
  readonly capacity = new ScoreBuckets(capacityScore)
  readonly bandwidth = new StaticRanking(bandwidthScore)
  readonly cost = new StaticRanking(costScore)
  readonly rtt = new ScoreBuckets(rttScore)

  add(d: Device): void {
    this.devices.add(d)
    this.bounds.add(d)
    this.capacity.put(d)
    this.bandwidth.add(d)
    this.cost.add(d)
    this.rtt.put(d)
  }

  remove(d: Device): void {
    this.devices.delete(d)
    this.capacity.remove(d)
    this.bandwidth.remove(d)
    this.cost.remove(d)
    this.rtt.remove(d)
  }

  /** Live figures changed: only the dynamic rankings move. */
  refresh(d: Device): void {
    this.capacity.put(d)
    this.rtt.put(d)
  }
}

export interface PlaceOptions {
  strategy: Strategy
  replicas: number
  /** Devices that already hold a replica of this deployment (replicas spread over distinct devices). */
  exclude?: ReadonlySet<string>
  /** Spread the replicas over as many clusters as fit (federation). */
  spanClusters?: boolean
  /** Why cloud nodes may not be used for this placement (a feature flag), when they may not. */
  edgeOnly?: string
}

const groupKey = (tier: Tier, gpu: boolean, region: string | null) => `${tier}|${gpu ? 'gpu' : 'cpu'}|${region ?? '*'}`
/** Devices alike in what they can ever offer; the model is part of it, as requests name GPU models. */
const classOf = (d: Device) =>
  `${Math.ceil(Math.log2(Math.max(1, d.cpuMilli)))}|${Math.ceil(Math.log2(Math.max(1, d.memoryMb)))}|${d.gpus}|${d.gpuModel ?? ''}`

export class DeviceIndex {
  private readonly byId = new Map<string, Device>()
  /** Scopes by group (tier, GPU or not, region or all) and class. */
  private readonly scopes = new Map<string, Scope>()
  /** The class scopes of each group. */
  private readonly groups = new Map<string, Scope[]>()
  /**
   * Each group's devices on one map, all classes together: walks around users look at a cell once
   * instead of once per class (a class holds a few devices per cell).
   */
  private readonly grids = new Map<string, CellGrid>()
  /** The indexes a device is in (its scopes and grids, region and all), so a heartbeat finds them without building keys. */
  private readonly indexesOf = new Map<string, (Scope | CellGrid)[]>()
  /** Devices per occupied cell, over all scopes: the orders below change only when a cell opens or closes. */
  private readonly occupied = new Map<number, number>()
  /** Every occupied cell nearest first, by users' cell. */
  private readonly orders = new Map<number, CellDistance[]>()

  get size(): number {
    return this.byId.size
  }

  get(id: string): Device | undefined {
    return this.byId.get(id)
  }

  all(): IterableIterator<Device> {
    return this.byId.values()
  }

  upsert(d: Device): void {
    if (this.byId.has(d.id)) this.remove(d.id)
    this.byId.set(d.id, d)
    const kind = classOf(d)
    const joined: (Scope | CellGrid)[] = []
    for (const group of [groupKey(d.tier, d.gpus > 0, null), groupKey(d.tier, d.gpus > 0, d.region)]) {
      let grid = this.grids.get(group)
      if (!grid) this.grids.set(group, (grid = new CellGrid()))
      grid.add(d)
      joined.push(grid)
      const key = `${group}|${kind}`
      let scope = this.scopes.get(key)
      if (!scope) {
        this.scopes.set(key, (scope = new Scope(kind)))
        // In class order, not arrival order: the same fleet is walked the same way whatever came first.
        const members = [...(this.groups.get(group) ?? []), scope].sort((a, b) => (a.kind < b.kind ? -1 : 1))
        this.groups.set(group, members)
      }
      scope.add(d)
      joined.push(scope)
    }
    this.indexesOf.set(d.id, joined)
    const cell = cellKey(d.lat, d.lon)
    const count = this.occupied.get(cell) ?? 0
    if (count === 0) this.orders.clear()
    this.occupied.set(cell, count + 1)
  }

  remove(id: string): Device | undefined {
    const d = this.byId.get(id)
    if (!d) return undefined
    this.byId.delete(id)
    this.indexesOf.delete(id)
    const cell = cellKey(d.lat, d.lon)
    const count = this.occupied.get(cell) ?? 1
    if (count <= 1) {
      this.occupied.delete(cell)
      this.orders.clear()
    } else this.occupied.set(cell, count - 1)
    const kind = classOf(d)
    for (const group of [groupKey(d.tier, d.gpus > 0, null), groupKey(d.tier, d.gpus > 0, d.region)]) {
      const grid = this.grids.get(group)
      grid?.remove(d)
      if (grid && grid.cells.size === 0) this.grids.delete(group)
      const key = `${group}|${kind}`
      const scope = this.scopes.get(key)
      if (!scope) continue
      scope.remove(d)
      if (scope.devices.size > 0) continue
      this.scopes.delete(key)
      const members = this.groups.get(group)!.filter((s) => s !== scope)
      if (members.length > 0) this.groups.set(group, members)
      else this.groups.delete(group)
    }
    return d
  }

  /** Load, round trip, state or allocations of a device changed. */
  refresh(d: Device): void {
    for (const index of this.indexesOf.get(d.id) ?? []) index.refresh(d)
  }

  /** Take a replica's resources on a device; returns the GPU slots it holds. */
  allocate(id: string, req: Requirements): number[] {
    const d = this.byId.get(id)
    if (!d) return []
    d.usedCpuMilli += req.cpuMilli ?? 0
    d.usedMemoryMb += req.memoryMb ?? 0
    const slots = takeGpus(d, req)
    this.refresh(d)
    return slots
  }

  release(id: string, req: Requirements, gpuSlots: number[]): void {
    const d = this.byId.get(id)
    if (!d) return
    d.usedCpuMilli = Math.max(0, d.usedCpuMilli - (req.cpuMilli ?? 0))
    d.usedMemoryMb = Math.max(0, d.usedMemoryMb - (req.memoryMb ?? 0))
    const milli = (req.gpus ?? 0) === 1 && (req.gpuMilli ?? 1000) < 1000 ? req.gpuMilli! : 1000
    for (const slot of gpuSlots) if (slot < d.gpuFree.length) d.gpuFree[slot] = Math.min(1000, d.gpuFree[slot] + milli)
    this.refresh(d)
  }

  /**
   * Choose devices for `replicas` replicas. Throws NoFitError, naming the constraint that excluded
   * the most devices, when fewer devices fit than replicas are asked.
   */
  place(req: Requirements, options: PlaceOptions): PlacementResult {
    const exclude = options.exclude ?? new Set<string>()
    const latencyTolerant = req.maxLatencyMs === undefined || req.maxLatencyMs > EDGE_LATENCY_LIMIT_MS
    const tolerant = latencyTolerant && !options.edgeOnly
    let scanned = 0
    const pick = (tier: Tier, wanted: number, taken: ReadonlySet<string>): Candidate[] => {
      const scopes = this.scopesFor(tier, req)
      if (scopes.length === 0 || wanted <= 0) return []
      const pool = options.spanClusters ? wanted * 4 : wanted
      const found = this.best(scopes, { req, tier, exclude: taken }, options.strategy, pool, () => scanned++)
      return options.spanClusters ? spreadOverClusters(found, wanted) : found.slice(0, wanted)
    }
    // Latency-tolerant work goes to the cloud, and only what the cloud cannot take to the edge.
    const first = pick(tolerant ? 'cloud' : 'edge', options.replicas, exclude)
    let chosen = first
    if (tolerant && first.length < options.replicas) {
      const taken = new Set([...exclude, ...first.map((c) => c.device.id)])
      chosen = [...first, ...pick('edge', options.replicas - first.length, taken)]
    }
    if (chosen.length < options.replicas) throw this.diagnose({ req, tier: tolerant ? null : 'edge', exclude }, chosen.length, options.replicas)
    const fitting = scanned
    return {
      strategy: options.strategy,
      candidatesScanned: scanned,
      replicas: chosen.map((c, i) => explain(c, i, options.strategy, req, fitting, tolerant, latencyTolerant ? options.edgeOnly : undefined)),
    }
  }

  /**
   * The scopes that can hold a fitting device: the tier, GPU devices only when GPUs are asked, the
   * region when one is, and the classes big enough and cheap enough.
   */
  private scopesFor(tier: Tier, req: Requirements): Scope[] {
    const gpu = (req.gpus ?? 0) > 0 ? [true] : [false, true]
    const scopes: Scope[] = []
    for (const g of gpu) for (const scope of this.groups.get(groupKey(tier, g, req.region ?? null)) ?? []) if (scope.bounds.mayFit(req)) scopes.push(scope)
    return scopes
  }

  /** The same, each group on one map. */
  private gridsFor(tier: Tier, req: Requirements): CellGrid[] {
    const grids: CellGrid[] = []
    for (const g of (req.gpus ?? 0) > 0 ? [true] : [false, true]) {
      const grid = this.grids.get(groupKey(tier, g, req.region ?? null))
      if (grid?.mayFit(req)) grids.push(grid)
    }
    return grids
  }

  /** Every occupied cell by its distance bound from the users' cell, nearest first. */
  private orderAround(originCell: number): CellDistance[] {
    let order = this.orders.get(originCell)
    if (!order) {
      if (this.orders.size >= 4096) this.orders.clear()
      this.orders.set(originCell, (order = cellDistances(originCell, this.occupied.keys())))
    }
    return order
  }

  /** The k best fitting devices of some scopes under a strategy, best first. */
  private best(scopes: Scope[], scan: Scan, strategy: Strategy, k: number, counted: () => void): Candidate[] {
    const { origin, maxLatencyMs } = scan.req
    // Cells nearest the users first: worked out only for the walks that look at cells.
    const order = origin && (strategy === 'intelligent' || strategy === 'latency' || maxLatencyMs !== undefined) ? this.orderAround(cellKey(origin.lat, origin.lon)) : []
    // Around users distance decides or bounds the score: these walks start at the users' cell.
    if (origin && (strategy === 'intelligent' || strategy === 'latency')) {
      const grids = this.gridsFor(scan.tier!, scan.req)
      return strategy === 'intelligent' ? bestIntelligentAround(grids, order, scan, origin, k, counted) : bestLatencyAround(grids, order, scan, origin, k, counted)
    }
    if (strategy === 'intelligent') return bestIntelligentAnywhere(this.gridsFor(scan.tier!, scan.req), scan, k, counted)
    const top = new TopK(k)
    if (strategy !== 'latency' && origin && maxLatencyMs !== undefined) {
      // A budget around the users leaves few devices: look at the cells within reach, each best first.
      const near = cellsWithinReach(this.gridsFor(scan.tier!, scan.req), order, maxLatencyMs, k, scopes)
      if (near) {
        bestInCells(near, top, scan, origin, maxLatencyMs, strategy, counted)
        return top.items
      }
    }
    // Distance costs a haversine: only worked out when a budget or the ranking needs it.
    const needsLatency = strategy === 'latency' || maxLatencyMs !== undefined
    const visit = (d: Device) => {
      counted()
      // The cheap checks first: most devices that fail, fail on capacity, before any trigonometry.
      if (breaks(d, scan, 0) !== null) return
      const est = needsLatency ? geoLatencyMs(origin, d) + accessRttMs(d) : 0
      if (maxLatencyMs !== undefined && est > maxLatencyMs) return
      const score = rank(d, est, strategy)
      top.consider(d, est, score)
    }
    const done = (bestRemaining: number) => top.full && top.worst!.score > bestRemaining
    const beaten = (score: number, d: Device) => !top.admits(score, d)
    for (const scope of scopes) {
      if (strategy === 'latency') scope.rtt.walk(visit, done)
      else if (strategy === 'capacity') scope.capacity.walk(visit, done)
      else scope[strategy].walk(visit, beaten)
    }
    return top.items
  }

  /** Full scan, only when placement failed: count, for each constraint, the devices it excludes. */
  private diagnose(scan: Scan, placed: number, wanted: number): NoFitError {
    const excluded: Partial<Record<Constraint, number>> = {}
    const tolerant = scan.tier === null
    for (const d of this.byId.values()) {
      const est = estimate(d, scan.req).total
      for (const c of CONSTRAINTS) {
        if (tolerant && c === 'tier') continue
        if (violates(d, scan, est, c)) excluded[c] = (excluded[c] ?? 0) + 1
      }
    }
    // Ties go to the constraint a person reads first (region before spread).
    let worst: Constraint = CONSTRAINTS[0]
    for (const c of CONSTRAINTS) if ((excluded[c] ?? 0) > (excluded[worst] ?? 0)) worst = c
    // Nothing excluded any device: there are just fewer devices than replicas.
    if ((excluded[worst] ?? 0) === 0) worst = 'spread'
    return new NoFitError(worst, excluded, this.byId.size, placed, wanted, describeConstraint(worst, scan.req, placed, wanted))
  }
}

/** Whether a device breaks one given constraint (diagnosis looks at each constraint alone). */
function violates(d: Device, scan: Scan, est: number, c: Constraint): boolean {
  const req = scan.req
  switch (c) {
    case 'state':
      return d.state === 'offline'
    case 'region':
      return req.region !== undefined && d.region !== req.region
    case 'cluster':
      return req.clusters !== undefined && req.clusters.length > 0 && !req.clusters.includes(d.cluster)
    case 'tier':
      return scan.tier !== null && d.tier !== scan.tier
    case 'slice':
      return req.slice !== undefined && d.slice !== req.slice
    case 'cpu':
      return (req.cpuMilli ?? 0) > d.cpuMilli - d.usedCpuMilli
    case 'memory':
      return (req.memoryMb ?? 0) > d.memoryMb - d.usedMemoryMb
    case 'gpu_model':
      return (req.gpus ?? 0) > 0 && !!req.gpuModels && req.gpuModels.length > 0 && !req.gpuModels.includes(d.gpuModel ?? '')
    case 'gpu':
      return !gpuFits(d, req)
    case 'latency':
      return req.maxLatencyMs !== undefined && est > req.maxLatencyMs
    case 'cost':
      return req.costCeiling !== undefined && d.costPerHour > req.costCeiling
    case 'spread':
      return scan.exclude.has(d.id)
  }
}

function describeConstraint(c: Constraint, req: Requirements, placed: number, wanted: number): string {
  switch (c) {
    case 'state':
      return 'they are offline'
    case 'region':
      return `not in region ${req.region}`
    case 'cluster':
      return `not in cluster ${req.clusters?.join(' or ')}`
    case 'tier':
      return `a latency budget of ${req.maxLatencyMs} ms needs an edge device`
    case 'slice':
      return `not on 5G slice ${req.slice}`
    case 'cpu':
      return `fewer than ${(req.cpuMilli ?? 0) / 1000} CPU cores free`
    case 'memory':
      return `less than ${req.memoryMb} MB memory free`
    case 'gpu':
      return (req.gpus ?? 0) === 1 && (req.gpuMilli ?? 1000) < 1000 ? `no GPU with ${req.gpuMilli} milli free` : `fewer than ${req.gpus} idle GPUs`
    case 'gpu_model':
      return `GPU model is not ${req.gpuModels?.join(' or ')}`
    case 'latency':
      return `estimated latency above ${req.maxLatencyMs} ms`
    case 'cost':
      return `cost above $${req.costCeiling}/h`
    case 'spread':
      return `each replica needs a device of its own${placed > 0 ? ': ' : ', and '}${placed > 0 ? `${placed} fit, ${wanted} asked` : 'every device that fits holds one already'}`
  }
}

/** An occupied cell, and how near the users its nearest point can be. */
interface CellDistance {
  key: number
  /** No device of the cell is nearer the users than this (ms of distance). */
  geoMs: number
}

/** How far users can be from the centre of their 1° cell (half its diagonal at the equator, the widest). */
const HALF_CELL_DIAGONAL_KM = 79

/**
 * Cells by a distance bound from anywhere in the users' cell, nearest first. The bound is taken
 * from the cell's centre less half its diagonal, so it holds for every origin in it and the order
 * can be kept for the next request from there. Links' RTT is not part of it (that moves with
 * heartbeats); the walks check it.
 */
function cellDistances(originCell: number, keys: Iterable<number>): CellDistance[] {
  const centre = cellCentre(originCell)
  const order: CellDistance[] = []
  for (const key of keys) order.push({ key, geoMs: Math.max(0, cellLowerBoundKm(centre, key) - HALF_CELL_DIAGONAL_KM) / KM_PER_RTT_MS })
  return order.sort((a, b) => a.geoMs - b.geoMs || a.key - b.key)
}

function cellCentre(key: number): { lat: number; lon: number } {
  const cols = 360 / CELL_DEG
  return { lat: Math.floor(key / cols) * CELL_DEG - 90 + CELL_DEG / 2, lon: (key % cols) * CELL_DEG - 180 + CELL_DEG / 2 }
}

/** A cell within a budget, and how near the users its nearest point can be. */
interface CellNear {
  cell: Cell
  geoMs: number
}

/**
 * The groups' cells within a budget, nearest first, when looking at them beats walking the scopes'
 * rankings (null otherwise). A walk finds a device within reach about once per (scopes ÷ within
 * reach) visits, and needs k of them; the cells cost one look each plus the devices placed. Once
 * the cells cost more they always will (more cells only add to it), so counting stops there.
 */
function cellsWithinReach(grids: CellGrid[], order: CellDistance[], budget: number, k: number, scopes: Scope[]): CellNear[] | null {
  let ranked = 0
  for (const scope of scopes) ranked += scope.devices.size
  const walk = (k + 1) * ranked
  const near: CellNear[] = []
  let within = 0
  let looks = k
  for (const { key, geoMs } of order) {
    if (geoMs > budget) break
    for (const grid of grids) {
      looks++
      const cell = grid.cells.get(key)
      if (!cell) continue
      within += cell.size
      near.push({ cell, geoMs })
    }
    if (looks * Math.max(1, within) >= walk) return null
  }
  return near
}

/**
 * The best devices within the budget for a strategy whose score does not depend on distance
 * (capacity, bandwidth, cost), into `top`. Inside a cell devices come best first, so the rest of a
 * cell is skipped as soon as its best remaining device cannot beat the k-th found, and the
 * distance (a haversine) is worked out only for a device that still could.
 */
function bestInCells(near: CellNear[], top: TopK, scan: Scan, origin: GeoPoint, budget: number, figure: 'capacity' | 'bandwidth' | 'cost', counted: () => void): void {
  for (const { cell, geoMs } of near) {
    // The figure is the score itself, ties in id order: the first that cannot win ends the cell.
    const list = cell.ranked(figure)
    for (let i = 0; i < list.length; i++) {
      const { device, score } = list[i]
      if (!top.admits(score, device)) break
      counted()
      const rtt = accessRttMs(device)
      if (geoMs + rtt > budget || breaks(device, scan, 0) !== null) continue
      const est = geoLatencyMs(origin, device) + rtt
      if (est <= budget) top.offer({ device, estimatedMs: est, score })
    }
  }
}

/**
 * The k best devices for the weighted score around users, exactly. Each grid's cells come nearest
 * first (within the budget, if any). Inside a cell, a band's devices come by their score without
 * the latency term, and a band is left as soon as its next device, at the cell's nearest point with
 * the fastest RTT of the band, cannot beat the k-th found; a grid is left as soon as its best
 * device could not at the next cell's distance. The latency term falls with distance, so the walk
 * stays near the users however large the fleet.
 */
function bestIntelligentAround(grids: CellGrid[], order: CellDistance[], scan: Scan, origin: GeoPoint, k: number, counted: () => void): Candidate[] {
  const top = new TopK(k)
  const budget = scan.req.maxLatencyMs ?? Infinity
  const W = INTELLIGENT_WEIGHTS
  let worst = -Infinity
  for (const grid of grids) {
    for (const { key, geoMs } of order) {
      if (geoMs > budget || grid.maxIntelligentStatic + W.capacity + W.latency * latencyScore(geoMs) < worst) break
      const cell = grid.cells.get(key)
      if (!cell) continue
      // Bands fastest first: once a band's fastest link cannot win, slower ones cannot either.
      for (let bits = cell.occupiedBands; bits !== 0; bits &= bits - 1) {
        const band = lowestBit(bits)
        if (geoMs + RTT_BANDS[band] > budget) break
        const fastest = W.latency * latencyScore(geoMs + RTT_BANDS[band])
        if (cell.bestStanding + fastest < worst) break
        for (const { device, score, rttMs } of cell.bands[band]) {
          if (score + fastest < worst) break
          counted()
          if (geoMs + rttMs > budget || score + W.latency * latencyScore(geoMs + rttMs) < worst) continue
          if (breaks(device, scan, 0) !== null) continue
          const est = geoLatencyMs(origin, device) + rttMs
          if (est > budget) continue
          top.consider(device, est, rank(device, est, 'intelligent'))
          worst = top.bar
        }
      }
    }
  }
  return top.items
}

/**
 * The k best devices for the weighted score without users (the latency term is the access RTT's),
 * exactly. Each grid's bands come fastest first, each band's devices by buckets of their score
 * without the latency term; a band is left as soon as its next bucket, with the band's fastest
 * RTT, cannot beat the k-th found, and a grid as soon as its next band could not.
 */
function bestIntelligentAnywhere(grids: CellGrid[], scan: Scan, k: number, counted: () => void): Candidate[] {
  const top = new TopK(k)
  const budget = scan.req.maxLatencyMs ?? Infinity
  const W = INTELLIGENT_WEIGHTS
  let worst = -Infinity
  for (const grid of grids) {
    const first = bucketOf(grid.maxIntelligentStatic + W.capacity)
    for (let band = 0; band < RTT_BANDS.length; band++) {
      if (RTT_BANDS[band] > budget) break
      const fastest = W.latency * latencyScore(RTT_BANDS[band])
      if (grid.maxIntelligentStatic + W.capacity + fastest < worst) break
      for (let bucket = first; bucket < BUCKETS; bucket++) {
        // The best score a bucket can hold, with the band's fastest link.
        if (1 - bucket / BUCKETS + fastest < worst) break
        const list = grid.anywhere[band * BUCKETS + bucket]
        if (list === undefined) continue
        for (const { device, score, rttMs } of list) {
          if (score + fastest < worst) continue
          counted()
          if (rttMs > budget || score + W.latency * latencyScore(rttMs) < worst || breaks(device, scan, 0) !== null) continue
          top.consider(device, rttMs, rank(device, rttMs, 'intelligent'))
          worst = top.bar
        }
      }
    }
  }
  return top.items
}

/**
 * The k nearest devices to users, exactly: each scope's cells nearest first (within the budget, if
 * any), inside a cell the fastest links first; a scope is left when its next cell is farther than
 * the k-th found.
 */
function bestLatencyAround(grids: CellGrid[], order: CellDistance[], scan: Scan, origin: GeoPoint, k: number, counted: () => void): Candidate[] {
  const top = new TopK(k)
  const budget = scan.req.maxLatencyMs ?? Infinity
  let worst = -Infinity
  for (const grid of grids) {
    for (const { key, geoMs } of order) {
      if (geoMs > budget || latencyScore(geoMs) < worst) break
      const cell = grid.cells.get(key)
      if (!cell) continue
      for (let bits = cell.occupiedBands; bits !== 0; bits &= bits - 1) {
        const band = lowestBit(bits)
        if (geoMs + RTT_BANDS[band] > budget || latencyScore(geoMs + RTT_BANDS[band]) < worst) break
        for (const { device, rttMs } of cell.bands[band]) {
          counted()
          if (geoMs + rttMs > budget || latencyScore(geoMs + rttMs) < worst || breaks(device, scan, 0) !== null) continue
          const est = geoLatencyMs(origin, device) + rttMs
          if (est > budget) continue
          top.consider(device, est, latencyScore(est))
          worst = top.bar
        }
      }
    }
  }
  return top.items
}

/** The index of the lowest set bit. */
const lowestBit = (bits: number): number => 31 - Math.clz32(bits & -bits)

/** Round-robin over clusters in score order, so a deployment spans as many clusters as fit. */
function spreadOverClusters(candidates: Candidate[], wanted: number): Candidate[] {
  const clusters = new Set(candidates.map((c) => c.device.cluster)).size
  const cap = Math.max(1, Math.ceil(wanted / Math.max(1, clusters)))
  const perCluster = new Map<string, number>()
  const chosen: Candidate[] = []
  for (const c of candidates) {
    const n = perCluster.get(c.device.cluster) ?? 0
    if (n >= cap) continue
    perCluster.set(c.device.cluster, n + 1)
    chosen.push(c)
    if (chosen.length === wanted) return chosen
  }
  for (const c of candidates) if (chosen.length < wanted && !chosen.includes(c)) chosen.push(c)
  return chosen.sort((a, b) => (better(a, b) ? -1 : 1))
}

function takeGpus(d: Device, req: Requirements): number[] {
  const n = req.gpus ?? 0
  if (n <= 0) return []
  const milli = req.gpuMilli ?? 1000
  if (n === 1 && milli < 1000) {
    // Best fit among the GPUs: the fullest one that still has room, so whole GPUs stay whole.
    let slot = -1
    for (let i = 0; i < d.gpuFree.length; i++) if (d.gpuFree[i] >= milli && (slot < 0 || d.gpuFree[i] < d.gpuFree[slot])) slot = i
    if (slot < 0) return []
    d.gpuFree[slot] -= milli
    return [slot]
  }
  const slots: number[] = []
  for (let i = 0; i < d.gpuFree.length && slots.length < n; i++) if (d.gpuFree[i] >= 1000) slots.push(i)
  for (const s of slots) d.gpuFree[s] = 0
  return slots
}

/** GPU slots a placement would take, without taking them (for recording where a replica sits). */
export function gpuSlotsFor(d: Device, req: Requirements): number[] {
  const copy = { ...d, gpuFree: [...d.gpuFree] }
  return takeGpus(copy, req)
}

function explain(c: Candidate, replica: number, strategy: Strategy, req: Requirements, scanned: number, tolerant: boolean, edgeOnly?: string): ReplicaPlacement {
  const d = c.device
  const est = estimate(d, req)
  const score = breakdown(d, est.total, strategy)
  const why = strategyReason(strategy, d, req, est, score)
  const tierWhy =
    d.tier === 'cloud'
      ? `latency budget ${req.maxLatencyMs === undefined ? 'unset' : `${req.maxLatencyMs} ms`} > ${EDGE_LATENCY_LIMIT_MS} ms, so cloud`
      : edgeOnly
        ? `edge only: ${edgeOnly}`
        : tolerant
          ? 'edge, as no cloud device fit'
          : `latency budget ${req.maxLatencyMs} ms ≤ ${EDGE_LATENCY_LIMIT_MS} ms, so edge`
  return {
    replica,
    location: d.tier,
    deviceId: d.id,
    deviceName: d.name,
    region: d.region,
    cluster: d.cluster,
    estimatedLatencyMs: round2(est.total),
    latency: { geoMs: round2(est.geoMs), rttMs: round2(est.rttMs) },
    score: { latency: round3(score.latency), capacity: round3(score.capacity), bandwidth: round3(score.bandwidth), cost: round3(score.cost), total: round3(score.total) },
    reason: `${d.name} (${d.region}/${d.cluster}): ${why}; ${tierWhy}; ${scanned} devices examined`,
  }
}

/** Why the device won under the strategy: only the one sentence the reason shows is formatted. */
function strategyReason(strategy: Strategy, d: Device, req: Requirements, est: ReturnType<typeof estimate>, score: ScoreBreakdown): string {
  switch (strategy) {
    case 'latency':
      return `lowest latency (${est.total.toFixed(1)} ms${req.origin ? `: ${est.geoMs.toFixed(1)} ms distance + ${est.rttMs.toFixed(1)} ms RTT` : ' RTT'})`
    case 'capacity':
      return `most free capacity (${Math.round(capacityScore(d) * 100)}% after load ${Math.round(d.load * 100)}%)`
    case 'bandwidth':
      return `highest bandwidth (${d.bandwidthMbps} Mbps${req.dataSizeMb ? `, ${((req.dataSizeMb * 8) / Math.max(1, d.bandwidthMbps)).toFixed(1)} s for ${req.dataSizeMb} MB` : ''})`
    case 'cost':
      return `cheapest ($${d.costPerHour.toFixed(2)}/h)`
    case 'intelligent':
      return `best weighted score ${score.total.toFixed(2)} (latency ${score.latency.toFixed(2)}, capacity ${score.capacity.toFixed(2)}, bandwidth ${score.bandwidth.toFixed(2)}, cost ${score.cost.toFixed(2)})`
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100
const round3 = (n: number) => Math.round(n * 1000) / 1000

/**
 * The baseline the bench and the property tests compare with: every device checked, every fitting
 * one scored, all sorted. Same ranking and tie-break as the index (single-objective strategies).
 */
export function naivePlace(devices: Iterable<Device>, req: Requirements, strategy: Strategy, replicas: number, tier: Tier | null): string[] {
  const scan: Scan = { req, tier, exclude: new Set() }
  const fitting: Candidate[] = []
  for (const d of devices) {
    const est = estimate(d, req).total
    if (breaks(d, scan, est) === null) fitting.push({ device: d, estimatedMs: est, score: rank(d, est, strategy) })
  }
  fitting.sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0))
  return fitting.slice(0, replicas).map((c) => c.device.id)
}

/** Whether a placed device satisfies every hard constraint (tests and the rebalancer check with it). */
export function satisfies(d: Device, req: Requirements, tier: Tier | null): boolean {
  return breaks(d, { req, tier, exclude: new Set() }, estimate(d, req).total) === null
}
