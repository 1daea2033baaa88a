/**
 * `npm run bench -- placement`: placement latency on a synthetic fleet of 10k and 100k devices
 * (around 27 metro areas, 10% cloud), registration rate into SQLite, the CPU a stream of 10k
 * heartbeats a second costs, and the naive baseline (check every device, score, sort) on the same
 * requests.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeviceIndex, DeviceRegistry, METROS, naivePlace, seededRandom, STRATEGIES, syntheticFleet, type DeviceInput, type Requirements, type Strategy } from '../orchestrator'
import { EDGE_LATENCY_LIMIT_MS } from '../orchestrator/placement'
import { Store } from '../store'
import { percentile, round } from './stats'

interface Request {
  req: Requirements
  strategy: Strategy
  replicas: number
}

/** A mix like an operator's: half pinned to a region, most with users somewhere, some with budgets. */
function requests(count: number, seed: number): Request[] {
  const random = seededRandom(seed)
  return Array.from({ length: count }, () => {
    const metro = METROS[Math.floor(random() * METROS.length)]
    const req: Requirements = { cpuMilli: [500, 1000, 2000, 4000][Math.floor(random() * 4)], memoryMb: [256, 1024, 4096][Math.floor(random() * 3)] }
    if (random() < 0.5) req.region = metro.region
    if (random() < 0.8) req.origin = { lat: metro.lat + random() - 0.5, lon: metro.lon + random() - 0.5 }
    if (random() < 0.5) req.maxLatencyMs = [20, 40, 100, 200][Math.floor(random() * 4)]
    if (random() < 0.2) req.costCeiling = 1
    if (random() < 0.05) req.gpus = 1
    return { req, strategy: STRATEGIES[Math.floor(random() * STRATEGIES.length)], replicas: 1 + Math.floor(random() * 3) }
  })
}

function timeEach(list: Request[], place: (r: Request) => unknown): number[] {
  const times: number[] = []
  for (const r of list) {
    const start = process.hrtime.bigint()
    try {
      place(r)
    } catch {
      // "no device fits" is an answer too, and its diagnosis is part of the cost.
    }
    times.push(Number(process.hrtime.bigint() - start) / 1000)
  }
  return times
}

function indexOf(count: number): DeviceIndex {
  const index = new DeviceIndex()
  for (const d of syntheticFleet(count, 11)) index.upsert(d)
  return index
}

const ours = (index: DeviceIndex) => (r: Request) => index.place(r.req, { strategy: r.strategy, replicas: r.replicas })

function naive(index: DeviceIndex) {
  const devices = [...index.all()]
  return (r: Request) => {
    const tolerant = r.req.maxLatencyMs === undefined || r.req.maxLatencyMs > EDGE_LATENCY_LIMIT_MS
    const first = naivePlace(devices, r.req, r.strategy, r.replicas, tolerant ? 'cloud' : 'edge')
    return first.length < r.replicas && tolerant ? naivePlace(devices, r.req, r.strategy, r.replicas, 'edge') : first
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length

export async function placementBench(): Promise<Record<string, unknown>> {
  const list = requests(5000, 3)
  const small = indexOf(10_000)
  timeEach(list.slice(0, 1000), ours(small))
  const ours10k = timeEach(list, ours(small))
  const naiveList = list.slice(0, 1000)
  timeEach(naiveList.slice(0, 100), naive(small))
  const naive10k = timeEach(naiveList, naive(small))
  const ours10kSame = timeEach(naiveList, ours(small))

  const large = indexOf(100_000)
  timeEach(list.slice(0, 1000), ours(large))
  const ours100k = timeEach(list, ours(large))

  const home = mkdtempSync(join(tmpdir(), 'dwcp-bench-placement-'))
  try {
    const store = Store.open({ home })
    const registry = new DeviceRegistry(store)
    const inputs: DeviceInput[] = syntheticFleet(100_000, 5).map((d) => ({
      id: d.id, name: d.name, lat: d.lat, lon: d.lon, region: d.region, cluster: d.cluster, tier: d.tier, cpu: d.cpuMilli / 1000,
      memoryMb: d.memoryMb, gpus: d.gpus, gpuModel: d.gpuModel, bandwidthMbps: d.bandwidthMbps, slice: d.slice, costPerHour: d.costPerHour, rttMs: d.rttMs,
    }))
    const registerStart = performance.now()
    for (let i = 0; i < inputs.length; i += 1000) registry.register(inputs.slice(i, i + 1000))
    const registerPerS = inputs.length / ((performance.now() - registerStart) / 1000)

    // One second's worth of heartbeats from 10k of the 100k devices, absorbed and written: CPU time spent.
    const random = seededRandom(9)
    const beat = () => {
      for (let i = 0; i < 10_000; i++) registry.heartbeat(inputs[Math.floor(random() * inputs.length)].id!, { load: random(), rttMs: 1 + random() * 20 })
      registry.flush()
    }
    beat()
    const rounds = 5
    const cpuStart = process.cpuUsage()
    for (let i = 0; i < rounds; i++) beat()
    const cpu = process.cpuUsage(cpuStart)
    const heartbeatCpuPct = ((cpu.user + cpu.system) / 1e6 / rounds) * 100
    store.close()

    return {
      place_us_p50_10k: round(percentile(ours10k, 50), 1),
      place_us_p99_10k: round(percentile(ours10k, 99), 1),
      place_us_p99_100k: round(percentile(ours100k, 99), 1),
      register_per_s: Math.round(registerPerS),
      heartbeats_per_s_cpu_pct: round(heartbeatCpuPct, 1),
      naive_ratio_10k: round(mean(naive10k) / mean(ours10kSame), 1),
      place_us_p50_100k: round(percentile(ours100k, 50), 1),
      naive_us_p50_10k: round(percentile(naive10k, 50), 1),
      requests: list.length,
    }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}
