/** The orchestrator's vocabulary: devices, what a workload asks for, and where its replicas went. */

export const STRATEGIES = ['latency', 'capacity', 'bandwidth', 'cost', 'intelligent'] as const
export type Strategy = (typeof STRATEGIES)[number]

export const SLICES = ['eMBB', 'URLLC', 'mMTC'] as const
export type Slice = (typeof SLICES)[number]

/** The QoS each 5G slice promises (3GPP TS 23.501 service types): shown beside a device, used in reasons. */
export const SLICE_QOS: Record<Slice, { latencyMs: number; reliability: number; note: string }> = {
  eMBB: { latencyMs: 20, reliability: 0.999, note: 'enhanced mobile broadband: high throughput' },
  URLLC: { latencyMs: 1, reliability: 0.99999, note: 'ultra-reliable low latency' },
  mMTC: { latencyMs: 100, reliability: 0.99, note: 'massive machine-type: many small devices' },
}

export type DeviceState = 'online' | 'degraded' | 'offline'
export type Tier = 'edge' | 'cloud'

/** A device as the placement engine sees it: static description, live figures and what is allocated on it. */
export interface Device {
  id: string
  name: string
  lat: number
  lon: number
  region: string
  cluster: string
  tier: Tier
  cpuMilli: number
  memoryMb: number
  gpus: number
  gpuModel: string | null
  bandwidthMbps: number
  slice: Slice | null
  costPerHour: number
  state: DeviceState
  /** CPU load reported by the device, 0..1. */
  load: number
  /** Round trip measured to the device, when an agent reports one. */
  rttMs: number | null
  lastSeenMs: number
  source: 'api' | 'agent' | 'trace'
  usedCpuMilli: number
  usedMemoryMb: number
  /** Free share of each GPU in milli (1000 = a whole idle GPU). */
  gpuFree: number[]
}

export interface GeoPoint {
  lat: number
  lon: number
}

/** What one replica needs. Every field is a hard constraint except `origin` (where its users are) and `dataSizeMb`. */
export interface Requirements {
  cpuMilli?: number
  memoryMb?: number
  /** Whole GPUs; with `gpuMilli` < 1000 and gpus = 1, a share of one GPU. */
  gpus?: number
  gpuMilli?: number
  gpuModels?: string[]
  region?: string
  clusters?: string[]
  maxLatencyMs?: number
  costCeiling?: number
  slice?: Slice
  dataSizeMb?: number
  origin?: GeoPoint
}

/** The hard constraints, in the order a person reads them; "no device fits" names one of these. */
export const CONSTRAINTS = ['state', 'region', 'cluster', 'tier', 'slice', 'cpu', 'memory', 'gpu', 'gpu_model', 'latency', 'cost', 'spread'] as const
export type Constraint = (typeof CONSTRAINTS)[number]

export interface ScoreBreakdown {
  latency: number
  capacity: number
  bandwidth: number
  cost: number
  total: number
}

export interface ReplicaPlacement {
  replica: number
  location: Tier
  deviceId: string
  deviceName: string
  region: string
  cluster: string
  estimatedLatencyMs: number
  latency: { geoMs: number; rttMs: number }
  score: ScoreBreakdown
  reason: string
}

export interface PlacementResult {
  strategy: Strategy
  replicas: ReplicaPlacement[]
  candidatesScanned: number
}
