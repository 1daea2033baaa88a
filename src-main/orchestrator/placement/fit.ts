/** The hard constraints: whether a device fits a request, which constraint it breaks, and the GPUs a replica takes. */
import { estimate } from './latency'
import { better, rank, type Candidate } from './ranking'
import type { Constraint, Device, Requirements, Strategy, Tier } from '../types'

/** Latency budgets above this are latency-tolerant: such replicas go to cloud devices first. */
export const EDGE_LATENCY_LIMIT_MS = 50

export function gpuFits(d: Device, req: Requirements): boolean {
  const n = req.gpus ?? 0
  if (n <= 0) return true
  const milli = req.gpuMilli ?? 1000
  if (n === 1 && milli < 1000) return d.gpuFree.some((free) => free >= milli)
  let whole = 0
  for (const free of d.gpuFree) if (free >= 1000) whole++
  return whole >= n
}

export interface Scan {
  req: Requirements
  tier: Tier | null
  exclude: ReadonlySet<string>
}

/** The first hard constraint a device breaks, or null. */
export function breaks(d: Device, s: Scan, estimatedMs: number): Constraint | null {
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

/** Whether a device breaks one given constraint (diagnosis looks at each constraint alone). */
export function violates(d: Device, scan: Scan, est: number, c: Constraint): boolean {
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

export function takeGpus(d: Device, req: Requirements): number[] {
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
