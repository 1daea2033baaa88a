/**
 * The WASM pool: warm calls through the full isolation path (tenant worker, shared-memory channel),
 * cold starts of modules never seen before, 1000 live instances, against two baselines measured in
 * the same run — compiling and instantiating per call in this process, and a fresh `node` process.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WasmPool } from '../wasm'
import { percentile, round } from './stats'

const WARM_CALLS = 20_000
const COLD_MODULES = 200
const INSTANCES = 1000
const TENANTS_FOR_INSTANCES = 10

/**
 * A module of real code (~300 KB: many small functions), made unique per call by a custom section, so
 * neither the pool's cache nor V8's own module cache has seen it.
 */
function coldTemplate(): Uint8Array {
  const functions: number[][] = []
  for (let i = 0; i < 6000; i++) {
    // (func (param i32) (result i32) local.get 0 i32.const i i32.mul i32.const 7 i32.add …)
    const body = [0x00, 0x20, 0x00, 0x41, ...sleb(i), 0x6c, 0x41, 0x07, 0x6a, 0x20, 0x00, 0x73, 0x41, ...sleb(i * 31), 0x6a, 0x0b]
    functions.push([...uleb(body.length), ...body])
  }
  const typeSection = [0x01, ...vec([[0x60, 0x01, 0x7f, 0x01, 0x7f]])]
  const funcSection = [0x03, ...vec(functions.map(() => [0x00]))]
  const exportSection = [0x07, ...vec([[...name('f0'), 0x00, 0x00], [...name('f5999'), 0x00, ...uleb(5999)]])]
  const codeSection = [0x0a, ...vec(functions)]
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...section(typeSection), ...section(funcSection), ...section(exportSection), ...section(codeSection)])
}

function section([id, ...content]: number[]): number[] {
  return [id, ...uleb(content.length), ...content]
}
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()]
}
function name(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s)]
}
function uleb(n: number): number[] {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n) b |= 0x80
    out.push(b)
  } while (n)
  return out
}
function sleb(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b]
    out.push(b | 0x80)
  }
}

function unique(template: Uint8Array): Uint8Array {
  const custom = [0x00, ...uleb(1 + 4 + 16), ...name('uniq'), ...randomBytes(16)]
  const out = new Uint8Array(template.length + custom.length)
  out.set(template)
  out.set(custom, template.length)
  return out
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

export async function wasmBench(): Promise<Record<string, unknown>> {
  const pool = new WasmPool({ maxWorkersPerTenant: 1, maxInstancesPerTenant: 5000 })
  const template = coldTemplate()
  try {
    // Warm: a cached module, pre-warmed, a trivial function, through pool.execute.
    await pool.prewarm({ builtin: 'trivial' }, { tenant: 'warm' })
    for (let i = 0; i < 2000; i++) await pool.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [i, 1], tenant: 'warm' })
    const warm: number[] = []
    for (let i = 0; i < WARM_CALLS; i++) warm.push(await timed(() => pool.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [i, 1], tenant: 'warm' })))

    // Cold: modules never seen before, compile + instantiate + first call.
    for (let t = 0; t < 4; t++) await pool.prewarm({ builtin: 'trivial' }, { tenant: `cold-${t}` }) // workers exist, as in a running pool
    const cold: number[] = []
    for (let i = 0; i < COLD_MODULES; i++) {
      const bytes = unique(template)
      cold.push(await timed(() => pool.execute({ module: { bytes, name: `cold-${i}.wasm` }, invoke: 'f5999', args: [i], tenant: `cold-${i % 4}` })))
    }

    // Baseline 1: compile + instantiate + call for every call, in this thread.
    const trivial = pool.cache.list().find((m) => m.name === 'trivial')!
    const trivialBytes = (await import('../wasm/builtins')).builtinBytes('trivial')
    const naive: number[] = []
    for (let i = 0; i < 5000; i++) {
      const t = performance.now()
      const instance = new WebAssembly.Instance(new WebAssembly.Module(trivialBytes as BufferSource), {})
      ;(instance.exports.add as (a: number, b: number) => number)(i, 1)
      naive.push(performance.now() - t)
    }
    void trivial

    // Baseline 2: a fresh node process that runs the same kind of module.
    const dir = mkdtempSync(join(tmpdir(), 'dwcp-bench-wasm-'))
    const processRuns: number[] = []
    try {
      for (let i = 0; i < 10; i++) {
        const file = join(dir, `m${i}.wasm`)
        writeFileSync(file, unique(template))
        const t = performance.now()
        const run = spawnSync(process.execPath, ['-e', `const m=new WebAssembly.Module(require('fs').readFileSync(${JSON.stringify(file)}));console.log(new WebAssembly.Instance(m).exports.f5999(${i}))`], { encoding: 'utf8' })
        processRuns.push(performance.now() - t)
        if (run.status !== 0) throw new Error(`baseline process failed: ${run.stderr}`)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }

    // 1000 instances alive at once, spread over tenants (each tenant its own worker).
    const perTenant = INSTANCES / TENANTS_FOR_INSTANCES
    for (let t = 0; t < TENANTS_FOR_INSTANCES; t++) await pool.prewarm({ builtin: 'http' }, { tenant: `many-${t}`, instances: perTenant })
    const stats = pool.stats()
    const concurrent = stats.tenants.filter((t) => t.name.startsWith('many-')).reduce((n, t) => n + t.instances, 0)
    const rssMb = process.memoryUsage().rss / 1024 / 1024

    const warmP50Us = percentile(warm, 50) * 1000
    const coldP50Ms = percentile(cold, 50)
    return {
      warm_p50_us: round(warmP50Us, 1),
      warm_p99_us: round(percentile(warm, 99) * 1000, 1),
      cold_p50_ms: round(coldP50Ms, 3),
      cold_p99_ms: round(percentile(cold, 99), 3),
      cold_module_kb: round(template.length / 1024, 1),
      concurrent_instances: concurrent,
      rss_mb: Math.round(rssMb),
      cache_hit_rate: round(pool.cache.stats().hitRate, 4),
      naive_call_us_p50: round(percentile(naive, 50) * 1000, 1),
      baseline_warm_ratio: round((percentile(naive, 50) * 1000) / warmP50Us, 2),
      process_run_ms_p50: round(percentile(processRuns, 50), 1),
      process_baseline_ratio: round(percentile(processRuns, 50) / coldP50Ms, 1),
    }
  } finally {
    await pool.close()
  }
}
