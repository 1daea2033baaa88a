/**
 * Hostile import files through the paths `dwcp edge register --file` and `dwcp edge simulate` take:
 * the bounded read and parse of orchestrator/imports.ts, then the contract's edge.register (devices) or
 * the trace replay (CSVs). Random bytes, truncations, bit flips, hostile values in genuine files, deep
 * nesting, wrong types, many rows: every file is taken or refused with a typed error, never a crash,
 * and a refused device file leaves the registry exactly as it was (edge.register is all-or-nothing).
 */
import fc from 'fast-check'
import { readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { ApiError } from '../api/errors'
import { createHost, type Host } from '../host'
import { InputFileError } from '../input-file'
import { recordingContext } from '../testing/context'
import { tempHome } from '../testing/home'
import { applyEdit, fileEdit, type Edit } from '../testing/mutations'
import { DEVICE_FILE_MAX_BYTES, OrchestratorError, readDeviceFile, readTraceFiles, SIMULATION_POLICIES, simulate, TRACE_FILE_MAX_BYTES, TraceFormatError } from './index'

/** Values as they would be written in the file: JSON tokens, and some that only a broken writer makes. */
const hostileJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('1e308', '-1e308', '1e400', '-1e400', 'NaN', 'Infinity', '-Infinity', '-0', '-1', '0', '9007199254740993', '5e-324', '1.5', 'null', 'true', '{}', '[]', '""', '"12"', '{"__proto__":{"polluted":1}}', '"edge"', '"URLLC"'),
  fc.integer({ min: 1, max: 200_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 1, max: 200_000 }).map((length) => JSON.stringify('x'.repeat(length))),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.double().map((n) => (Number.isFinite(n) ? String(n) : 'null')),
)

const FIELDS = ['id', 'name', 'lat', 'lon', 'region', 'cluster', 'tier', 'cpu', 'memoryMb', 'gpus', 'gpuModel', 'bandwidthMbps', 'slice', 'costPerHour', 'rttMs', 'extra', '__proto__', 'constructor']

const GENUINE_DEVICES = [
  { name: 'sf-edge-1', lat: 37.77, lon: -122.42, region: 'us-west', cluster: 'bay', tier: 'edge', cpu: 8, memoryMb: 16384, gpus: 1, gpuModel: 'T4', bandwidthMbps: 1000, slice: 'URLLC', costPerHour: 0.5 },
  { name: 'nyc-edge-1', lat: 40.71, lon: -74.0, region: 'us-east', cpu: 4, memoryMb: 8192, bandwidthMbps: 500, costPerHour: 0.25 },
  { id: 'fra-cloud-1', name: 'frankfurt-cloud', lat: 50.11, lon: 8.68, region: 'eu-central', tier: 'cloud', cpu: 64, memoryMb: 262144, gpus: 8, gpuModel: 'A100', bandwidthMbps: 10000, costPerHour: 12, rttMs: 40 },
]

type DeviceFile = { kind: 'edit'; edit: Edit } | { kind: 'value'; device: number; field: string; value: string } | { kind: 'rows'; copies: number } | { kind: 'not-array'; value: string }

const deviceFile: fc.Arbitrary<DeviceFile> = fc.oneof(
  fc.record({ kind: fc.constant('edit' as const), edit: fileEdit }),
  fc.record({ kind: fc.constant('value' as const), device: fc.nat(), field: fc.constantFrom(...FIELDS), value: hostileJson }),
  fc.record({ kind: fc.constant('value' as const), device: fc.nat(), field: fc.constantFrom(...FIELDS), value: hostileJson }),
  fc.record({ kind: fc.constant('rows' as const), copies: fc.integer({ min: 0, max: 1000 }) }),
  fc.record({ kind: fc.constant('not-array' as const), value: hostileJson }),
)

function deviceFileText(f: DeviceFile): Buffer {
  const genuine = JSON.stringify(GENUINE_DEVICES, null, 2)
  switch (f.kind) {
    case 'edit':
      return applyEdit(Buffer.from(genuine), f.edit)
    case 'value': {
      // Spliced in as text, so tokens JSON.stringify would never write (1e400, NaN, deep nesting) reach the parser.
      const devices = GENUINE_DEVICES.map((d) => JSON.stringify(d))
      const at = f.device % devices.length
      devices[at] = devices[at].replace(/^\{/, `{${JSON.stringify(f.field)}:${f.value},`)
      return Buffer.from(`[${devices.join(',')}]`)
    }
    case 'rows':
      return Buffer.from(JSON.stringify(Array.from({ length: f.copies }, (_, i) => ({ ...GENUINE_DEVICES[i % 3], id: `bulk-${i}` }))))
    case 'not-array':
      return Buffer.from(f.value)
  }
}

/** A refusal an operator can read: the reader's, the engine's or the contract's, never an internal failure. */
function expectTypedRefusal(err: unknown): void {
  const typed = err instanceof InputFileError || err instanceof OrchestratorError || err instanceof TraceFormatError || (err instanceof ApiError && err.code !== 'internal')
  if (typed && err.message.length > 0) return
  throw new Error(`not a typed refusal: ${err instanceof Error ? `${err.name}: ${err.message.slice(0, 300)}` : String(err)}`)
}

const registry = (host: Host) => JSON.stringify(host.store.db.prepare('SELECT * FROM edge_devices ORDER BY id').raw().all())

const hosts: Host[] = []
afterAll(async () => {
  for (const host of hosts) await host.close()
})

describe('hostile device files (dwcp edge register --file)', () => {
  it('each is registered whole or refused with a typed error, and a refusal registers nothing', async () => {
    const home = tempHome()
    const host = createHost({ home, shell: 'cli' })
    hosts.push(host)
    const { ctx } = recordingContext('fuzz', 'test')
    await host.call('edge.register', { devices: GENUINE_DEVICES } as never, ctx)
    let run = 0
    let refused = 0
    await fc.assert(
      fc.asyncProperty(deviceFile, async (f) => {
        const file = join(home, `devices-${run++}.json`)
        writeFileSync(file, deviceFileText(f))
        const before = registry(host)
        try {
          const input = readDeviceFile(file)
          const result = (await host.call('edge.register', input as never, ctx)) as { registered: number }
          expect(result.registered).toBe(input.devices.length)
          const listed = (await host.call('edge.devices.list', {}, ctx)) as { total: number }
          expect(listed.total).toBeGreaterThanOrEqual(Math.min(result.registered, 3))
        } catch (err) {
          expectTypedRefusal(err)
          refused++
          expect(registry(host)).toBe(before)
        }
      }),
      { numRuns: 150 },
    )
    // The fuzzer reached past the parser into the contract and the registry.
    expect(refused).toBeGreaterThan(0)
    expect(refused).toBeLessThan(run)
  }, 120_000)

  it('more devices than one call takes is refused whole', async () => {
    const home = tempHome()
    const host = createHost({ home, shell: 'cli' })
    hosts.push(host)
    const { ctx } = recordingContext('fuzz', 'test')
    const file = join(home, 'too-many.json')
    writeFileSync(file, JSON.stringify(Array.from({ length: 100_001 }, (_, i) => ({ ...GENUINE_DEVICES[1], id: `d-${i}` }))))
    const err = await host.call('edge.register', readDeviceFile(file) as never, ctx).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('bad_request')
    expect(registry(host)).toBe('[]')
  }, 120_000)

  it('a file past 64 MiB, an endless device or a folder is refused before it fills the memory', () => {
    const home = tempHome()
    const big = join(home, 'big.json')
    writeFileSync(big, '')
    truncateSync(big, DEVICE_FILE_MAX_BYTES + 1)
    expect(() => readDeviceFile(big)).toThrow(/big\.json is larger than 64 MiB/)
    expect(() => readDeviceFile('/dev/zero')).toThrow(InputFileError)
    expect(() => readDeviceFile(home)).toThrow(/is a folder, not a file/)
    expect(() => readDeviceFile(join(home, 'nope.json'))).toThrow(/cannot read .*nope\.json: no such file/)
  }, 120_000)
})

const TRACE = fileURLToPath(new URL('./testdata/alibaba-gpu-v2023/', import.meta.url))
const head = (file: string, lines: number) => readFileSync(join(TRACE, file), 'utf8').split('\n').slice(0, lines).join('\n') + '\n'
const GENUINE_NODES = head('openb_node_list_all_node.csv', 40)
const GENUINE_PODS = head('openb_pod_list_default.csv', 60)

const hostileCell: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('1e308', '-1e308', '1e400', 'NaN', 'nan', 'Infinity', '-Infinity', '-0', '-1', '0', '0x10', '1_000', '9007199254740993', '5e-324', '', ' ', '"a,b"', '\r', '\u0000', 'V100M16|', '|||', '__proto__'),
  fc.integer({ min: 1, max: 100_000 }).map((length) => 'x'.repeat(length)),
  fc.string({ maxLength: 30 }),
  fc.double().map(String),
)

type TraceFile = { kind: 'edit'; edit: Edit } | { kind: 'cell'; row: number; column: number; value: string } | { kind: 'rows'; copies: number } | { kind: 'header'; value: string }

const traceFile: fc.Arbitrary<TraceFile> = fc.oneof(
  fc.record({ kind: fc.constant('edit' as const), edit: fileEdit }),
  fc.record({ kind: fc.constant('cell' as const), row: fc.nat(), column: fc.nat(), value: hostileCell }),
  fc.record({ kind: fc.constant('cell' as const), row: fc.nat(), column: fc.nat(), value: hostileCell }),
  fc.record({ kind: fc.constant('rows' as const), copies: fc.integer({ min: 0, max: 2000 }) }),
  fc.record({ kind: fc.constant('header' as const), value: hostileCell }),
)

function traceText(genuine: string, f: TraceFile): Buffer {
  const lines = genuine.trimEnd().split('\n')
  switch (f.kind) {
    case 'edit':
      return applyEdit(Buffer.from(genuine), f.edit)
    case 'cell': {
      const row = 1 + (f.row % (lines.length - 1))
      const cells = lines[row].split(',')
      cells[f.column % cells.length] = f.value
      lines[row] = cells.join(',')
      return Buffer.from(lines.join('\n'))
    }
    case 'rows': {
      // Many rows, each name made unique so a machine is not refused for appearing twice.
      const body = lines.slice(1)
      const more = Array.from({ length: f.copies }, (_, i) => body[i % body.length].replace(/^([^,]*)/, `$1-copy${i}`))
      return Buffer.from([lines[0], ...body, ...more].join('\n'))
    }
    case 'header':
      return Buffer.from([`${lines[0]},${f.value}`, ...lines.slice(1).map((l) => `${l},`)].join('\n'))
  }
}

describe('hostile trace CSVs (dwcp edge simulate)', () => {
  it('each is replayed or refused with a typed error, and a replay accounts for every task', () => {
    const home = tempHome()
    let run = 0
    let replayed = 0
    fc.assert(
      fc.property(traceFile, traceFile, fc.constantFrom(...SIMULATION_POLICIES), (n, p, policy) => {
        const nodesFile = join(home, `nodes-${run}.csv`)
        const podsFile = join(home, `pods-${run++}.csv`)
        writeFileSync(nodesFile, traceText(GENUINE_NODES, n))
        writeFileSync(podsFile, traceText(GENUINE_PODS, p))
        let trace
        try {
          trace = readTraceFiles(nodesFile, podsFile)
        } catch (err) {
          expectTypedRefusal(err)
          return
        }
        const r = simulate(trace.nodes, trace.pods, policy)
        expect(r.placed + r.unplaced).toBe(trace.pods.length)
        expect(JSON.parse(JSON.stringify(r))).toEqual(r)
        replayed++
      }),
      { numRuns: 250 },
    )
    expect(replayed).toBeGreaterThan(0)
  }, 120_000)

  it('a CSV past 256 MiB is refused before it is read', () => {
    const home = tempHome()
    const big = join(home, 'nodes.csv')
    writeFileSync(big, '')
    truncateSync(big, TRACE_FILE_MAX_BYTES + 1)
    const pods = join(home, 'pods.csv')
    writeFileSync(pods, GENUINE_PODS)
    expect(() => readTraceFiles(big, pods)).toThrow(/nodes\.csv is larger than 256 MiB/)
  })
})
