/**
 * Replay of a GPU cluster trace through the placement engine: machines become devices, tasks arrive
 * in creation order and leave at their deletion time (a file without times: file order, never
 * leaving, so the cluster fills up). Two baselines named in the trace's paper (Weng et al., ATC '23)
 * run beside the strategies on the same replay: best-fit and GPU packing, both as full scans.
 */
import { DeviceIndex, gpuFits, satisfies } from './placement'
import type { TraceNode, TracePod } from './trace'
import { STRATEGIES, type Device, type Requirements, type Strategy } from './types'

export const BASELINES = ['best-fit', 'packing'] as const
export type Baseline = (typeof BASELINES)[number]
export type SimulationPolicy = Strategy | Baseline
export const SIMULATION_POLICIES: readonly SimulationPolicy[] = [...STRATEGIES, ...BASELINES]

export interface SimulationResult {
  strategy: SimulationPolicy
  pods: number
  placed: number
  unplaced: number
  place_us_p50: number
  place_us_p99: number
  gpu_fragmentation: number
  /** Share of the cluster's GPU capacity allocated when the last task arrived. */
  gpu_allocated_at_end: number
  timed: boolean
}

/** Machines of the trace as devices. The trace has no prices: one is derived from the capacity. */
export function traceDevices(nodes: TraceNode[]): Device[] {
  return nodes.map((n) => ({
    id: n.name,
    name: n.name,
    lat: 0,
    lon: 0,
    region: 'trace',
    cluster: 'trace',
    tier: 'cloud' as const,
    cpuMilli: n.cpuMilli,
    memoryMb: n.memoryMib,
    gpus: n.gpus,
    gpuModel: n.model,
    bandwidthMbps: 10_000,
    slice: null,
    costPerHour: Math.round(((n.cpuMilli / 1000) * 0.034 + (n.memoryMib / 1024) * 0.0045 + n.gpus * 1.0) * 1000) / 1000,
    state: 'online' as const,
    load: 0,
    rttMs: null,
    lastSeenMs: 0,
    source: 'trace' as const,
    usedCpuMilli: 0,
    usedMemoryMb: 0,
    gpuFree: Array.from({ length: n.gpus }, () => 1000),
  }))
}

export function podRequirements(p: TracePod): Requirements {
  return {
    cpuMilli: p.cpuMilli,
    memoryMb: p.memoryMib,
    ...(p.numGpu > 0 ? { gpus: p.numGpu, gpuMilli: p.gpuMilli } : {}),
    ...(p.gpuModels.length > 0 ? { gpuModels: p.gpuModels } : {}),
  }
}

export function simulate(nodes: TraceNode[], pods: TracePod[], policy: SimulationPolicy): SimulationResult {
  const index = new DeviceIndex()
  for (const d of traceDevices(nodes)) index.upsert(d)
  const devices = [...index.all()]
  const choose = (req: Requirements): string | null => {
    if (policy === 'best-fit' || policy === 'packing') return scanFor(devices, req, policy)
    try {
      return index.place(req, { strategy: policy, replicas: 1 }).replicas[0].deviceId
    } catch {
      return null
    }
  }

  // Times only when every task has a creation time; otherwise file order and no departures.
  const timed = pods.length > 0 && pods.every((p) => p.creationTime !== null)
  const order = pods.map((_, i) => i)
  if (timed) order.sort((a, b) => pods[a].creationTime! - pods[b].creationTime! || a - b)
  const departures: { at: number; deviceId: string; req: Requirements; slots: number[] }[] = []
  const times: number[] = []
  const unplaced: Requirements[] = []
  let placed = 0
  for (const i of order) {
    const pod = pods[i]
    if (timed) {
      // Tasks that ended before this one arrived give their resources back first.
      departures.sort((a, b) => a.at - b.at)
      while (departures.length > 0 && departures[0].at <= pod.creationTime!) {
        const d = departures.shift()!
        index.release(d.deviceId, d.req, d.slots)
      }
    }
    const req = podRequirements(pod)
    const start = process.hrtime.bigint()
    const deviceId = choose(req)
    times.push(Number(process.hrtime.bigint() - start) / 1000)
    if (deviceId === null) {
      unplaced.push(req)
      continue
    }
    placed++
    const slots = index.allocate(deviceId, req)
    if (timed && pod.deletionTime !== null && pod.deletionTime > pod.creationTime!) departures.push({ at: pod.deletionTime, deviceId, req, slots })
  }
  const sorted = [...times].sort((a, b) => a - b)
  const pct = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))])
  const totalGpu = devices.reduce((s, d) => s + d.gpus * 1000, 0)
  const freeGpu = devices.reduce((s, d) => s + d.gpuFree.reduce((a, b) => a + b, 0), 0)
  return {
    strategy: policy,
    pods: pods.length,
    placed,
    unplaced: unplaced.length,
    place_us_p50: Math.round(pct(50) * 10) / 10,
    place_us_p99: Math.round(pct(99) * 10) / 10,
    gpu_fragmentation: Math.round(gpuFragmentation(devices, unplaced) * 10_000) / 10_000,
    gpu_allocated_at_end: totalGpu === 0 ? 0 : Math.round(((totalGpu - freeGpu) / totalGpu) * 10_000) / 10_000,
    timed,
  }
}

/**
 * Share of idle GPU capacity that no unplaced task could use: a GPU's free share counts as usable
 * when some unplaced task fits on its machine (CPU, memory, model) and on that GPU. Nothing waiting
 * means nothing is stranded: 0.
 */
export function gpuFragmentation(devices: Device[], unplaced: Requirements[]): number {
  const shapes = new Map<string, Requirements>()
  for (const r of unplaced) if ((r.gpus ?? 0) > 0) shapes.set(JSON.stringify(r), r)
  let idle = 0
  let stranded = 0
  for (const d of devices) {
    for (let g = 0; g < d.gpuFree.length; g++) {
      const free = d.gpuFree[g]
      if (free <= 0) continue
      idle += free
      let usable = false
      for (const r of shapes.values()) {
        if (!satisfies(d, { ...r, gpus: 0 }, null) || (r.gpuModels && r.gpuModels.length > 0 && !r.gpuModels.includes(d.gpuModel ?? ''))) continue
        const sharing = r.gpus === 1 && (r.gpuMilli ?? 1000) < 1000
        if (sharing ? free >= r.gpuMilli! : free >= 1000 && gpuFits(d, r)) {
          usable = true
          break
        }
      }
      if (!usable) stranded += free
    }
  }
  if (unplaced.length === 0 || idle === 0) return 0
  return stranded / idle
}

/** The paper's baselines, as full scans over the machines. Lower key wins; ties go to the machine name. */
function scanFor(devices: Device[], req: Requirements, policy: Baseline): string | null {
  let best: Device | null = null
  let bestKey = Infinity
  for (const d of devices) {
    if (!satisfies(d, req, null)) continue
    const key = policy === 'best-fit' ? bestFitKey(d, req) : packingKey(d, req)
    if (key < bestKey || (key === bestKey && best !== null && d.id < best.id)) {
      best = d
      bestKey = key
    }
  }
  return best?.id ?? null
}

/** Best-fit: the machine left with the least resources after placement (normalized, summed). */
function bestFitKey(d: Device, req: Requirements): number {
  const cpu = (d.cpuMilli - d.usedCpuMilli - (req.cpuMilli ?? 0)) / Math.max(1, d.cpuMilli)
  const mem = (d.memoryMb - d.usedMemoryMb - (req.memoryMb ?? 0)) / Math.max(1, d.memoryMb)
  const gpuAsked = (req.gpus ?? 0) === 1 && (req.gpuMilli ?? 1000) < 1000 ? req.gpuMilli! : (req.gpus ?? 0) * 1000
  const gpu = d.gpus > 0 ? (d.gpuFree.reduce((a, b) => a + b, 0) - gpuAsked) / (d.gpus * 1000) : 0
  return cpu + mem + gpu
}

/**
 * GPU packing: a sharing task goes to a GPU already in use, then to an idle GPU of a machine already
 * in use, then to an idle machine; whole-GPU tasks to machines already in use first; CPU-only tasks
 * to machines without GPUs first. Within a class, the tightest fit.
 */
function packingKey(d: Device, req: Requirements): number {
  const gpus = req.gpus ?? 0
  const inUse = d.gpuFree.some((f) => f < 1000)
  const freeGpu = d.gpuFree.reduce((a, b) => a + b, 0)
  if (gpus === 0) return (d.gpus > 0 ? 1_000_000 : 0) + bestFitKey(d, req)
  if (gpus === 1 && (req.gpuMilli ?? 1000) < 1000) {
    const partial = d.gpuFree.some((f) => f < 1000 && f >= req.gpuMilli!)
    return (partial ? 0 : inUse ? 1_000_000 : 2_000_000) + freeGpu
  }
  return (inUse ? 0 : 1_000_000) + freeGpu
}
