import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { METROS, syntheticFleet } from './fleet'
import { DeviceIndex, EDGE_LATENCY_LIMIT_MS, naivePlace, NoFitError, satisfies } from './placement'
import { STRATEGIES, type Device, type Requirements, type Strategy, type Tier } from './types'

const REGIONS = ['us-west-2', 'eu-west', 'ap-northeast', 'nowhere']

const requirements: fc.Arbitrary<Requirements> = fc.record(
  {
    cpuMilli: fc.integer({ min: 0, max: 40_000 }),
    memoryMb: fc.integer({ min: 0, max: 200_000 }),
    gpus: fc.integer({ min: 0, max: 4 }),
    gpuMilli: fc.integer({ min: 100, max: 1000 }),
    region: fc.constantFrom(...REGIONS),
    maxLatencyMs: fc.integer({ min: 1, max: 300 }),
    costCeiling: fc.double({ min: 0, max: 5, noNaN: true }),
    slice: fc.constantFrom('eMBB' as const, 'URLLC' as const, 'mMTC' as const),
    origin: fc.record({ lat: fc.double({ min: -80, max: 80, noNaN: true }), lon: fc.double({ min: -180, max: 179.9, noNaN: true }) }),
  },
  { requiredKeys: [] },
)

function indexOf(devices: Device[]): DeviceIndex {
  const index = new DeviceIndex()
  for (const d of devices) index.upsert(structuredClone(d))
  return index
}

/** The same tier cascade as the index, on the naive full scan. */
function naive(devices: Device[], req: Requirements, strategy: Strategy, replicas: number): string[] {
  const tolerant = req.maxLatencyMs === undefined || req.maxLatencyMs > EDGE_LATENCY_LIMIT_MS
  const first = naivePlace(devices, req, strategy, replicas, tolerant ? 'cloud' : 'edge')
  if (!tolerant || first.length >= replicas) return first
  const rest = naivePlace(devices, req, strategy, devices.length, 'edge').filter((id) => !first.includes(id))
  return [...first, ...rest.slice(0, replicas - first.length)]
}

const fleet = syntheticFleet(600, 7)

/** Users anywhere, or (more often) in a metro of the fleet, where the nearest devices are close and bounds are tested hardest. */
const users = fc.oneof(
  fc.record({ lat: fc.double({ min: -60, max: 70, noNaN: true }), lon: fc.double({ min: -180, max: 179.9, noNaN: true }) }),
  fc
    .tuple(fc.constantFrom(...METROS), fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }))
    .map(([m, dLat, dLon]) => ({ lat: m.lat + dLat, lon: m.lon + dLon })),
  fc.tuple(fc.constantFrom(...METROS), fc.double({ min: -2, max: 2, noNaN: true })).map(([m, d]) => ({ lat: m.lat + d, lon: m.lon - d })),
)

/** The index answers exactly what the full scan and sort answers: the same devices, or no fit. */
function expectFullScanAnswer(req: Requirements, strategy: Strategy, replicas: number): void {
  const expected = naive(fleet, req, strategy, replicas)
  if (expected.length < replicas) {
    expect(() => indexOf(fleet).place(req, { strategy, replicas })).toThrow(NoFitError)
    return
  }
  expect(indexOf(fleet).place(req, { strategy, replicas }).replicas.map((r) => r.deviceId)).toEqual(expected)
}

describe('placement strategies (property tests)', () => {
  for (const strategy of STRATEGIES) {
    it(`${strategy}: never breaks a hard constraint, equal inputs give equal placements`, () => {
      fc.assert(
        fc.property(requirements, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 2 ** 31 }), (req, replicas, seed) => {
          // The same devices inserted in another order must not change the answer.
          const shuffled = [...fleet].sort((a, b) => ((a.id.charCodeAt(5) * seed) % 7) - ((b.id.charCodeAt(5) * seed) % 7) || (a.id < b.id ? 1 : -1))
          let result
          try {
            result = indexOf(fleet).place(req, { strategy, replicas })
          } catch (err) {
            expect(err).toBeInstanceOf(NoFitError)
            expect(() => indexOf(shuffled).place(req, { strategy, replicas })).toThrow((err as Error).message)
            return
          }
          const again = indexOf(shuffled).place(req, { strategy, replicas })
          expect(again.replicas).toEqual(result.replicas)
          expect(new Set(result.replicas.map((r) => r.deviceId)).size).toBe(replicas)
          const tolerant = req.maxLatencyMs === undefined || req.maxLatencyMs > EDGE_LATENCY_LIMIT_MS
          for (const r of result.replicas) {
            const device = fleet.find((d) => d.id === r.deviceId)!
            expect(satisfies(device, req, tolerant ? null : 'edge')).toBe(true)
            if (req.maxLatencyMs !== undefined) expect(r.estimatedLatencyMs).toBeLessThanOrEqual(req.maxLatencyMs + 0.01)
            expect(r.location).toBe(device.tier)
            expect(r.reason).toContain(device.name)
          }
        }),
        { numRuns: 150 },
      )
    })
  }

  for (const strategy of STRATEGIES) {
    it(`${strategy}: the index returns exactly what a full scan and sort returns`, () => {
      fc.assert(
        fc.property(requirements, fc.integer({ min: 1, max: 8 }), (req, replicas) => expectFullScanAnswer(req, strategy, replicas)),
        { numRuns: 200 },
      )
    })
  }
})

describe('placement near the users', () => {
  // With users and a latency budget the walks start at the users' cell, for every strategy (the
  // weighed one included), and must give exactly the full scan's answer.
  const nearRequirements = fc.tuple(requirements, users, fc.integer({ min: 5, max: 120 })).map(([req, origin, maxLatencyMs]) => ({ ...req, origin, maxLatencyMs }))
  for (const strategy of STRATEGIES) {
    it(`${strategy}: exactly what a full scan and sort returns`, () => {
      fc.assert(
        fc.property(nearRequirements, fc.integer({ min: 1, max: 6 }), (req, replicas) => expectFullScanAnswer(req, strategy, replicas)),
        { numRuns: 200 },
      )
    })
  }
})

describe('placement around users without a budget', () => {
  // The weighed score falls with distance: the walk stays near the users and must still be exact.
  const aroundRequirements = fc.tuple(requirements, users).map(([req, origin]) => ({ ...req, origin, maxLatencyMs: undefined }))
  for (const strategy of ['intelligent', 'latency'] as const) {
    it(`${strategy}: exactly what a full scan and sort returns`, () => {
      fc.assert(
        fc.property(aroundRequirements, fc.integer({ min: 1, max: 6 }), (req, replicas) => expectFullScanAnswer(req, strategy, replicas)),
        { numRuns: 200 },
      )
    })
  }
})

describe('placement after live changes', () => {
  // Heartbeats move load and round trips, placements take capacity: the orders kept per cell must follow.
  const change = fc.record({ device: fc.integer({ min: 0, max: fleet.length - 1 }), load: fc.double({ min: 0, max: 1, noNaN: true }), rttMs: fc.double({ min: 0.5, max: 40, noNaN: true }), takeCpu: fc.integer({ min: 0, max: 8000 }) })
  for (const strategy of STRATEGIES) {
    it(`${strategy}: still exactly what a full scan returns`, () => {
      const index = indexOf(fleet)
      // Requests most devices can meet, so that the answer depends on the live figures.
      const metro = fc.constantFrom(...METROS)
      // With users near a metro (the walks around users), or none (the walks by RTT alone).
      const easyRequirements = fc
        .tuple(metro, fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 4096 }), fc.integer({ min: 5, max: 120 }), fc.boolean())
        .map(([m, cpuMilli, memoryMb, maxLatencyMs, withUsers]): Requirements => ({ cpuMilli, memoryMb, maxLatencyMs, ...(withUsers ? { origin: { lat: m.lat + 0.3, lon: m.lon - 0.2 } } : {}) }))
      fc.assert(
        fc.property(fc.array(change, { maxLength: 100 }), easyRequirements, fc.integer({ min: 1, max: 4 }), (changes, req, replicas) => {
          // A placement first, so the orders exist before the changes reach them.
          try {
            index.place(req, { strategy, replicas })
          } catch {
            // no fit: fine
          }
          for (const c of changes) {
            const d = index.get(fleet[c.device].id)!
            d.load = c.load
            d.rttMs = c.rttMs
            d.usedCpuMilli = Math.min(d.cpuMilli, c.takeCpu)
            index.refresh(d)
          }
          const expected = naive([...index.all()], req, strategy, replicas)
          if (expected.length < replicas) expect(() => index.place(req, { strategy, replicas })).toThrow(NoFitError)
          else expect(index.place(req, { strategy, replicas }).replicas.map((r) => r.deviceId)).toEqual(expected)
        }),
        { numRuns: 150 },
      )
    })
  }
})

describe('placement explained', () => {
  const device = (id: string, over: Partial<Device>): Device => ({
    id, name: id, lat: 45, lon: 5, region: 'eu-west', cluster: 'a', tier: 'edge', cpuMilli: 4000, memoryMb: 8192, gpus: 0, gpuModel: null,
    bandwidthMbps: 100, slice: null, costPerHour: 0.1, state: 'online', load: 0, rttMs: 3, lastSeenMs: 0, source: 'api', usedCpuMilli: 0, usedMemoryMb: 0, gpuFree: [], ...over,
  })

  it('finds a device again once it is idle, with users and without', () => {
    // A is farther from the users but faster and cheaper: busy it loses to B, idle it wins. C, beside
    // A, is the best of their cell while A is busy, and loses to B either way.
    const index = indexOf([
      device('a', { lat: 47.5, lon: 5.5, bandwidthMbps: 10_000, costPerHour: 0.01, load: 0.95 }),
      device('b', { lat: 45.6, lon: 5.6, costPerHour: 0.5 }),
      device('c', { lat: 47.6, lon: 5.4, costPerHour: 0.6 }),
    ])
    const near = { origin: { lat: 45.5, lon: 5.5 }, maxLatencyMs: 40 }
    const anywhere = { maxLatencyMs: 40 }
    const winner = (req: Requirements) => index.place(req, { strategy: 'intelligent', replicas: 1 }).replicas[0].deviceId
    expect([winner(near), winner(anywhere)]).toEqual(['b', 'b'])
    const a = index.get('a')!
    a.load = 0
    index.refresh(a)
    expect([winner(near), winner(anywhere)]).toEqual(['a', 'a'])
  })

  it('sends latency-tolerant work to the cloud and latency-critical work to the edge', () => {
    const index = indexOf([device('edge-1', {}), device('cloud-1', { tier: 'cloud', rttMs: 20 })])
    const tolerant = index.place({ maxLatencyMs: 200 }, { strategy: 'latency', replicas: 1 }).replicas[0]
    expect(tolerant).toMatchObject({ deviceId: 'cloud-1', location: 'cloud' })
    expect(tolerant.reason).toMatch(/200 ms > 50 ms, so cloud/)
    const critical = index.place({ maxLatencyMs: 30 }, { strategy: 'latency', replicas: 1 }).replicas[0]
    expect(critical).toMatchObject({ deviceId: 'edge-1', location: 'edge' })
  })

  it('estimates latency from distance and measured RTT, and says so', () => {
    const index = indexOf([device('paris', { lat: 48.86, lon: 2.35, rttMs: 4 }), device('tokyo', { lat: 35.68, lon: 139.69, rttMs: 1 })])
    const [r] = index.place({ origin: { lat: 51.5, lon: -0.13 }, maxLatencyMs: 40 }, { strategy: 'latency', replicas: 1 }).replicas
    expect(r.deviceId).toBe('paris')
    expect(r.latency.rttMs).toBe(4)
    expect(r.latency.geoMs).toBeCloseTo(3.4, 1) // London–Paris is ~340 km
    expect(r.estimatedLatencyMs).toBeCloseTo(7.4, 1)
    expect(r.reason).toMatch(/lowest latency \(7\.4 ms: 3\.4 ms distance \+ 4\.0 ms RTT\)/)
  })

  it('names the constraint that excluded the most devices when nothing fits', () => {
    const index = indexOf([device('a', { memoryMb: 1024 }), device('b', { memoryMb: 2048 }), device('c', { region: 'us-east-1', memoryMb: 65536 })])
    expect(() => index.place({ memoryMb: 32768, region: 'eu-west' }, { strategy: 'cost', replicas: 1 })).toThrow(
      /no device fits: memory excluded the most devices \(2 of 3; less than 32768 MB memory free\)/,
    )
    expect(() => index.place({ memoryMb: 512 }, { strategy: 'cost', replicas: 4 })).toThrow(/^no device fits 1 of 4 replicas: each replica needs a device of its own: 3 fit, 4 asked$/)
    try {
      index.place({ maxLatencyMs: 20, slice: 'URLLC' }, { strategy: 'latency', replicas: 1 })
    } catch (err) {
      expect((err as NoFitError).constraint).toBe('slice')
      expect((err as NoFitError).excluded.slice).toBe(3)
    }
  })

  it('spreads replicas over clusters when asked (federation)', () => {
    const devices = ['a', 'b', 'c', 'd'].flatMap((cluster) => [1, 2, 3].map((n) => device(`${cluster}${n}`, { cluster, costPerHour: n / 10 })))
    const spread = indexOf(devices).place({}, { strategy: 'cost', replicas: 4, spanClusters: true })
    expect(new Set(spread.replicas.map((r) => r.cluster)).size).toBe(4)
    const packed = indexOf(devices).place({}, { strategy: 'cost', replicas: 4 })
    expect(packed.replicas.map((r) => r.deviceId)).toEqual(['a1', 'b1', 'c1', 'd1'])
  })

  it('consumes capacity: a full device is not chosen again', () => {
    const index = indexOf([device('small', { costPerHour: 0.01 }), device('other', { costPerHour: 0.5 })])
    const req: Requirements = { cpuMilli: 3000 }
    expect(index.place(req, { strategy: 'cost', replicas: 1 }).replicas[0].deviceId).toBe('small')
    index.allocate('small', req)
    expect(index.place(req, { strategy: 'cost', replicas: 1 }).replicas[0].deviceId).toBe('other')
  })

  it('shares a GPU by milli and keeps whole GPUs whole', () => {
    const index = indexOf([device('g', { gpus: 2, gpuModel: 'T4', gpuFree: [1000, 1000] })])
    index.allocate('g', { gpus: 1, gpuMilli: 300 })
    index.allocate('g', { gpus: 1, gpuMilli: 500 })
    expect(index.get('g')!.gpuFree).toEqual([200, 1000])
    expect(() => index.place({ gpus: 2 }, { strategy: 'cost', replicas: 1 })).toThrow(/gpu excluded/)
    expect(() => index.place({ gpus: 1, gpuModels: ['A100'] }, { strategy: 'cost', replicas: 1 })).toThrow(/gpu_model/)
  })
})


