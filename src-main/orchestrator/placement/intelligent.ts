/** The intelligent strategy (the default): a weighted sum of the four others, and the parts of it the index keeps per device. */
import { bandwidthScore } from './bandwidth'
import { capacityScore } from './capacity'
import { costScore } from './cost'
import type { Device, ScoreBreakdown } from '../types'

export const INTELLIGENT_WEIGHTS = { latency: 0.35, capacity: 0.25, bandwidth: 0.15, cost: 0.25 } as const

/**
 * The part of the intelligent score that depends neither on the request nor on live load: it only
 * changes when a device registers again (which moves it out of and into its cell).
 */
export const intelligentStatic = (d: Device) => INTELLIGENT_WEIGHTS.bandwidth * bandwidthScore(d) + INTELLIGENT_WEIGHTS.cost * costScore(d)

/** The weighted score without its latency term: what a device offers wherever the users are. */
export const intelligentStanding = (d: Device): number => intelligentStatic(d) + INTELLIGENT_WEIGHTS.capacity * capacityScore(d)

export const intelligentReason = (score: ScoreBreakdown): string =>
  `best weighted score ${score.total.toFixed(2)} (latency ${score.latency.toFixed(2)}, capacity ${score.capacity.toFixed(2)}, bandwidth ${score.bandwidth.toFixed(2)}, cost ${score.cost.toFixed(2)})`
