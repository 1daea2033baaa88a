/** The explanation of each replica placed: its figures and a one-line reason. */
import { bandwidthReason } from './bandwidth'
import { capacityReason } from './capacity'
import { costReason } from './cost'
import { EDGE_LATENCY_LIMIT_MS } from './fit'
import { intelligentReason } from './intelligent'
import { estimate, latencyReason } from './latency'
import { breakdown, type Candidate } from './ranking'
import type { Device, ReplicaPlacement, Requirements, ScoreBreakdown, Strategy } from '../types'

export function explain(c: Candidate, replica: number, strategy: Strategy, req: Requirements, scanned: number, tolerant: boolean, edgeOnly?: string): ReplicaPlacement {
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
      return latencyReason(req, est)
    case 'capacity':
      return capacityReason(d)
    case 'bandwidth':
      return bandwidthReason(d, req)
    case 'cost':
      return costReason(d)
    case 'intelligent':
      return intelligentReason(score)
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100
const round3 = (n: number) => Math.round(n * 1000) / 1000
