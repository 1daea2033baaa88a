/** How candidates rank under a strategy, and the k best of them kept in order. */
import { bandwidthScore } from './bandwidth'
import { capacityScore } from './capacity'
import { costScore } from './cost'
import { INTELLIGENT_WEIGHTS } from './intelligent'
import { latencyScore } from './latency'
import type { Device, ScoreBreakdown, Strategy } from '../types'

export function breakdown(d: Device, estimatedMs: number, strategy: Strategy): ScoreBreakdown {
  const parts = { latency: latencyScore(estimatedMs), capacity: capacityScore(d), bandwidth: bandwidthScore(d), cost: costScore(d) }
  const total =
    strategy === 'intelligent'
      ? INTELLIGENT_WEIGHTS.latency * parts.latency + INTELLIGENT_WEIGHTS.capacity * parts.capacity + INTELLIGENT_WEIGHTS.bandwidth * parts.bandwidth + INTELLIGENT_WEIGHTS.cost * parts.cost
      : parts[strategy]
  return { ...parts, total }
}

/** The figure a strategy ranks by (higher is better). */
export function rank(d: Device, estimatedMs: number, strategy: Strategy): number {
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

export interface Candidate {
  device: Device
  score: number
  estimatedMs: number
}

export const better = (a: Candidate, b: Candidate): boolean => a.score > b.score || (a.score === b.score && a.device.id < b.device.id)
/** Whether a device with this score would rank above candidate b. */
const outranks = (score: number, d: Device, b: Candidate): boolean => score > b.score || (score === b.score && d.id < b.device.id)

/** Bounds are compared with this much slack: a sum in another order may differ in the last bit. */
const SLACK = 1e-9

/** The k best candidates, best first. */
export class TopK {
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
