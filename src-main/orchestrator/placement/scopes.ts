/** A scope's rankings (score buckets and sorted lists) and the fit bounds that let a walk skip a set of devices whole. */
import { bandwidthScore } from './bandwidth'
import { capacityScore } from './capacity'
import { costScore } from './cost'
import { intelligentStatic } from './intelligent'
import { rttScore } from './latency'
import type { Device, Requirements } from '../types'

export const BUCKETS = 256
export const bucketOf = (score: number): number => Math.min(BUCKETS - 1, Math.max(0, Math.floor((1 - score) * BUCKETS)))

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
 * Bounds over every device that joined (a device leaving leaves them loose, never wrong), so a set
 * of devices too small or too dear is skipped at once.
 */
export class FitBounds {
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
 * The rankings of one scope: the devices of one tier, with or without GPUs, in one region or all,
 * and of one class (what they can ever offer: their size to a power of two, GPUs, GPU model). A
 * class of small or expensive devices is skipped whole, instead of visited device by device.
 */
export class Scope {
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
