/** The bandwidth strategy: the device's link, on a log scale (10 Gbps = 1). */
import type { Device, Requirements } from '../types'

export const bandwidthScore = (d: Device): number => Math.min(1, Math.log10(1 + Math.max(0, d.bandwidthMbps)) / 4)

export const bandwidthReason = (d: Device, req: Requirements): string =>
  `highest bandwidth (${d.bandwidthMbps} Mbps${req.dataSizeMb ? `, ${((req.dataSizeMb * 8) / Math.max(1, d.bandwidthMbps)).toFixed(1)} s for ${req.dataSizeMb} MB` : ''})`
