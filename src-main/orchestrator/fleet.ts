/**
 * A synthetic fleet for benchmarks and examples: devices around real metro areas, in the region of
 * their metro, with varied capacity, network, 5G slice and price. Seeded, so every run builds the
 * same fleet.
 */
import type { Device, Slice } from './types'

export const METROS: { name: string; lat: number; lon: number; region: string }[] = [
  { name: 'sfo', lat: 37.77, lon: -122.42, region: 'us-west-2' },
  { name: 'sea', lat: 47.61, lon: -122.33, region: 'us-west-2' },
  { name: 'lax', lat: 34.05, lon: -118.24, region: 'us-west-1' },
  { name: 'phx', lat: 33.45, lon: -112.07, region: 'us-west-1' },
  { name: 'den', lat: 39.74, lon: -104.99, region: 'us-central' },
  { name: 'chi', lat: 41.88, lon: -87.63, region: 'us-central' },
  { name: 'dfw', lat: 32.78, lon: -96.8, region: 'us-central' },
  { name: 'nyc', lat: 40.71, lon: -74.01, region: 'us-east-1' },
  { name: 'iad', lat: 38.9, lon: -77.04, region: 'us-east-1' },
  { name: 'atl', lat: 33.75, lon: -84.39, region: 'us-east-1' },
  { name: 'yyz', lat: 43.65, lon: -79.38, region: 'ca-central' },
  { name: 'gru', lat: -23.55, lon: -46.63, region: 'sa-east' },
  { name: 'lon', lat: 51.51, lon: -0.13, region: 'eu-west' },
  { name: 'par', lat: 48.86, lon: 2.35, region: 'eu-west' },
  { name: 'ams', lat: 52.37, lon: 4.9, region: 'eu-west' },
  { name: 'fra', lat: 50.11, lon: 8.68, region: 'eu-central' },
  { name: 'waw', lat: 52.23, lon: 21.01, region: 'eu-central' },
  { name: 'mil', lat: 45.46, lon: 9.19, region: 'eu-central' },
  { name: 'sto', lat: 59.33, lon: 18.07, region: 'eu-north' },
  { name: 'dxb', lat: 25.2, lon: 55.27, region: 'me-central' },
  { name: 'bom', lat: 19.08, lon: 72.88, region: 'ap-south' },
  { name: 'sin', lat: 1.35, lon: 103.82, region: 'ap-southeast' },
  { name: 'hkg', lat: 22.32, lon: 114.17, region: 'ap-east' },
  { name: 'tyo', lat: 35.68, lon: 139.69, region: 'ap-northeast' },
  { name: 'sel', lat: 37.57, lon: 126.98, region: 'ap-northeast' },
  { name: 'syd', lat: -33.87, lon: 151.21, region: 'ap-southeast-2' },
  { name: 'jnb', lat: -26.2, lon: 28.05, region: 'af-south' },
]

/** Small deterministic generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SLICE_CHOICES: (Slice | null)[] = ['eMBB', 'URLLC', 'mMTC', null]

export function syntheticDevice(i: number, random: () => number): Device {
  const metro = METROS[Math.floor(random() * METROS.length)]
  const cloud = random() < 0.1
  const cores = cloud ? [16, 32, 64][Math.floor(random() * 3)] : [2, 4, 8, 16][Math.floor(random() * 4)]
  const gpus = cloud ? (random() < 0.3 ? 4 : 0) : random() < 0.1 ? 1 : 0
  return {
    id: `dev-${String(i).padStart(6, '0')}`,
    name: `${metro.name}-${cloud ? 'dc' : 'edge'}-${i}`,
    lat: metro.lat + (random() - 0.5) * 3,
    lon: metro.lon + (random() - 0.5) * 3,
    region: metro.region,
    cluster: `${metro.region}-${cloud ? 'dc' : `c${Math.floor(random() * 3)}`}`,
    tier: cloud ? 'cloud' : 'edge',
    cpuMilli: cores * 1000,
    memoryMb: cores * (cloud ? 8192 : 2048),
    gpus,
    gpuModel: gpus > 0 ? (cloud ? 'A100' : 'T4') : null,
    bandwidthMbps: cloud ? 10_000 : [50, 100, 500, 1000][Math.floor(random() * 4)],
    slice: cloud ? null : SLICE_CHOICES[Math.floor(random() * SLICE_CHOICES.length)],
    costPerHour: Math.round((cloud ? cores * 0.048 + gpus * 2.2 : cores * 0.02 + random() * 0.1) * 1000) / 1000,
    state: 'online',
    load: Math.round(random() * 80) / 100,
    rttMs: Math.round((cloud ? 8 + random() * 20 : 1 + random() * 9) * 10) / 10,
    lastSeenMs: 0,
    source: 'api',
    usedCpuMilli: 0,
    usedMemoryMb: 0,
    gpuFree: Array.from({ length: gpus }, () => 1000),
  }
}

export function syntheticFleet(count: number, seed = 42): Device[] {
  const random = seededRandom(seed)
  return Array.from({ length: count }, (_, i) => syntheticDevice(i, random))
}
