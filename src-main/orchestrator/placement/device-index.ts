/** The index of devices: registration, live changes, allocation, and placement over its scopes and cells. */
import { CellGrid } from './cells'
import { breaks, EDGE_LATENCY_LIMIT_MS, takeGpus, violates, type Scan } from './fit'
import { accessRttMs, cellKey, geoLatencyMs } from '../geo'
import { estimate } from './latency'
import { describeConstraint, NoFitError } from './no-fit'
import { better, rank, TopK, type Candidate } from './ranking'
import { explain } from './reasons'
import { Scope } from './scopes'
import { CONSTRAINTS, type Constraint, type Device, type PlacementResult, type Requirements, type Strategy, type Tier } from '../types'
import { bestInCells, bestIntelligentAnywhere, bestIntelligentAround, bestLatencyAround, cellDistances, cellsWithinReach, type CellDistance } from './walks'

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
