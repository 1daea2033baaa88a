/** The latency strategy: a device's estimated latency to the users (distance and its link's RTT), and how it scores. */
import { accessRttMs, geoLatencyMs } from '../geo'
import type { Device, Requirements } from '../types'

export const latencyScore = (ms: number): number => 1 / (1 + ms / 10)
export const rttScore = (d: Device): number => latencyScore(accessRttMs(d))

export function estimate(d: Device, req: Requirements): { geoMs: number; rttMs: number; total: number } {
  const geoMs = geoLatencyMs(req.origin, d)
  const rttMs = accessRttMs(d)
  return { geoMs, rttMs, total: geoMs + rttMs }
}

export const latencyReason = (req: Requirements, est: ReturnType<typeof estimate>): string =>
  `lowest latency (${est.total.toFixed(1)} ms${req.origin ? `: ${est.geoMs.toFixed(1)} ms distance + ${est.rttMs.toFixed(1)} ms RTT` : ' RTT'})`
