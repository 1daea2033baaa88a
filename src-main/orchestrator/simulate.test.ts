import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SIMULATION_POLICIES, simulate } from './simulate'
import { parseNodes, parsePods, TraceFormatError } from './trace'

const DATA = join(import.meta.dirname, 'testdata', 'alibaba-gpu-v2023')
const nodesCsv = readFileSync(join(DATA, 'openb_node_list_all_node.csv'), 'utf8')
const podsCsv = readFileSync(join(DATA, 'openb_pod_list_default.csv'), 'utf8')

/** The same tasks as a file of the trace that lacks the optional columns. */
function withoutOptionalColumns(csv: string): string {
  const keep = ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli']
  const [header, ...rows] = csv.trim().split('\n')
  const cols = header.split(',')
  const at = keep.map((k) => cols.indexOf(k))
  return [keep.join(','), ...rows.map((r) => at.map((i) => r.split(',')[i]).join(','))].join('\n')
}

describe('trace replay (Alibaba GPU v2023)', () => {
  const nodes = parseNodes(nodesCsv)
  const pods = parsePods(podsCsv)

  it('reads the shipped files', () => {
    expect(nodes).toHaveLength(1523)
    expect(pods).toHaveLength(8152)
    expect(nodes.filter((n) => n.gpus > 0).length).toBeGreaterThan(0)
    expect(pods[1]).toMatchObject({ name: 'openb-pod-0001', cpuMilli: 6000, numGpu: 1, gpuMilli: 460, creationTime: 427061 })
  })

  it('replays in creation order with departures, for every strategy and baseline', () => {
    for (const policy of ['intelligent', 'best-fit'] as const) {
      const r = simulate(nodes, pods, policy)
      expect(r).toMatchObject({ strategy: policy, pods: 8152, timed: true })
      expect(r.placed + r.unplaced).toBe(8152)
      expect(r.gpu_fragmentation).toBeGreaterThanOrEqual(0)
      expect(r.gpu_fragmentation).toBeLessThanOrEqual(1)
    }
  })

  it('without the optional columns, tasks arrive in file order, never leave, and the cluster fills up', () => {
    const bare = parsePods(withoutOptionalColumns(podsCsv))
    expect(bare[0]).toMatchObject({ creationTime: null, deletionTime: null, qos: null, gpuModels: [] })
    const results = SIMULATION_POLICIES.map((p) => simulate(nodes, bare, p))
    for (const r of results) {
      expect(r.timed).toBe(false)
      expect(r.unplaced).toBeGreaterThan(0)
      expect(r.placed + r.unplaced).toBe(8152)
    }
    // Packing quality shows: the policies do not all fit the same number of tasks.
    expect(new Set(results.map((r) => r.placed)).size).toBeGreaterThan(2)
  })

  it('refuses malformed files with the line and the reason', () => {
    expect(() => parseNodes('sn,cpu_milli\nx,1')).toThrow(/nodes:1: missing columns memory_mib, gpu/)
    expect(() => parsePods('name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,2,1,0', 'p.csv')).toThrow(/p.csv:2: gpu_milli must be 1–1000/)
    expect(() => parsePods('name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,abc,2,0,0')).toThrow(/cpu_milli is not a number/)
    expect(() => parseNodes('sn,cpu_milli,memory_mib,gpu\na,1,1,0\na,1,1,0')).toThrow(/appears twice/)
  })

  it('fuzz: any text either parses or fails with a TraceFormatError', () => {
    const line = fc.array(fc.oneof(fc.constantFrom('1', '0', '', 'nan', '-3', '1e3', 'x', '1000', 'A|B'), fc.string({ maxLength: 6 })), { maxLength: 12 }).map((c) => c.join(','))
    fc.assert(
      fc.property(fc.constantFrom('sn,cpu_milli,memory_mib,gpu,model', 'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,creation_time', 'junk'), fc.array(line, { maxLength: 8 }), (header, lines) => {
        const text = [header, ...lines].join('\n')
        for (const parse of [parseNodes, parsePods]) {
          try {
            parse(text)
          } catch (err) {
            expect(err).toBeInstanceOf(TraceFormatError)
          }
        }
      }),
      { numRuns: 500 },
    )
  })
})
