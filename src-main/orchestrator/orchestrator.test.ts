import wabtInit from 'wabt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../store'
import { tempHome } from '../testing/home'
import { WasmPool } from '../wasm'
import { Orchestrator } from './orchestrator'
import type { DeviceInput } from './registry'
import type { ReplicaRef, ReplicaRunner, ReplicaStatus } from './runner'

/**
 * Until agents exist, replicas run in a real WASM pool on this machine: starting one instantiates
 * its module and calls add(2, 3) as the health check, so a module that traps is a failed replica.
 */
class PoolRunner implements ReplicaRunner {
  readonly running = new Map<string, ReplicaRef>()
  constructor(private readonly pool: WasmPool) {}
  private key = (ref: ReplicaRef) => `${ref.deployment}/${ref.replica}@${ref.deviceId}`
  async start(ref: ReplicaRef): Promise<ReplicaStatus> {
    try {
      const module = ref.module.startsWith('sha256:') ? { sha256: ref.module.slice(7) } : { builtin: ref.module }
      const result = await this.pool.execute({ module, invoke: 'add', args: [2, 3], tenant: 'replicas', fresh: true })
      if (result.values?.[0] !== 5) return { state: 'failed', message: `health check answered ${result.values?.[0]}` }
      this.running.set(this.key(ref), ref)
      return { state: 'running' }
    } catch (err) {
      return { state: 'failed', message: (err as Error).message }
    }
  }
  async stop(ref: ReplicaRef): Promise<void> {
    this.running.delete(this.key(ref))
  }
  async status(ref: ReplicaRef): Promise<ReplicaStatus> {
    return this.running.has(this.key(ref)) ? { state: 'running' } : { state: 'failed', message: 'not running' }
  }
}

let pool: WasmPool
let trapping: string
let fixed: string
beforeAll(async () => {
  pool = new WasmPool({ maxWorkersPerTenant: 1 })
  const wabt = await wabtInit()
  const compile = async (source: string) => {
    const module = wabt.parseWat('m.wat', source)
    const bytes = new Uint8Array(module.toBinary({}).buffer)
    module.destroy()
    return `sha256:${(await pool.load({ bytes, name: 'test' })).sha256}`
  }
  trapping = await compile('(module (func (export "add") (param i32 i32) (result i32) unreachable))')
  fixed = await compile('(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))')
})
afterAll(() => pool.close())

const device = (id: string, over: Partial<DeviceInput> = {}): DeviceInput => ({
  id, name: id, lat: 37.7 + Number(id.slice(-1)) / 10, lon: -122.4, region: 'us-west-2', cluster: 'west-a', cpu: 8, memoryMb: 16384, bandwidthMbps: 1000, costPerHour: 0.1 + Number(id.slice(-1)) / 100, ...over,
})

function setup() {
  const home = tempHome()
  const store = Store.open({ home })
  let clock = 1_000_000
  const runner = new PoolRunner(pool)
  const events: string[] = []
  const orchestrator = new Orchestrator({ store, runner, now: () => clock, failAfterMs: 3000, onEvent: (e) => events.push(`${e.kind} ${e.name}: ${e.detail}`) })
  // dev-0…dev-6 in us-west-2 (cheapest first), dev-7 in eu-west.
  orchestrator.registry.register(Array.from({ length: 8 }, (_, i) => device(`dev-${i}`, i === 7 ? { region: 'eu-west', cluster: 'eu-a', lat: 48.8, lon: 2.3 } : {})))
  const beatAll = (except: string[] = []) => {
    for (let i = 0; i < 8; i++) if (!except.includes(`dev-${i}`)) orchestrator.heartbeat(`dev-${i}`, { load: 0.1, rttMs: 3 })
  }
  return { home, store, orchestrator, runner, events, beatAll, tick: (ms: number) => (clock += ms) }
}

const devicesOf = (o: Orchestrator, name: string) => o.get(name).instances.map((r) => r.deviceId)

describe('deployments', () => {
  it('deploys 6 replicas; when a device goes silent its replica comes back elsewhere', async () => {
    const { orchestrator, runner, events, beatAll, tick, store } = setup()
    beatAll()
    const dep = await orchestrator.create({ name: 'web', module: 'trivial', replicas: 6, requirements: { memoryMb: 2048, region: 'us-west-2' }, strategy: 'cost' })
    expect(dep.state).toBe('running')
    expect(dep.instances.map((r) => r.deviceId)).toEqual(['dev-0', 'dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5'])
    expect(dep.instances[0].reason).toMatch(/dev-0 \(us-west-2\/west-a\): cheapest \(\$0\.10\/h\)/)
    expect(runner.running.size).toBe(6)

    // dev-2 stops sending heartbeats; the others keep going.
    tick(2000)
    beatAll(['dev-2'])
    expect(await orchestrator.detectFailures()).toEqual([])
    tick(2000)
    beatAll(['dev-2'])
    expect(await orchestrator.detectFailures()).toEqual(['dev-2'])

    const after = orchestrator.get('web')
    expect(after.state).toBe('running')
    expect(after.instances.map((r) => r.deviceId)).toEqual(['dev-0', 'dev-1', 'dev-6', 'dev-3', 'dev-4', 'dev-5'])
    expect(after.instances.every((r) => r.state === 'running')).toBe(true)
    expect(orchestrator.registry.get('dev-2').state).toBe('offline')
    expect(events.join('\n')).toMatch(/failure dev-2: no heartbeat for 4 s/)
    expect(events.join('\n')).toMatch(/rescheduled web\/2: dev-2 → dev-6/)

    // Another loss with no spare device left in the region: the deployment says it is short.
    tick(4000)
    beatAll(['dev-2', 'dev-6'])
    await orchestrator.detectFailures()
    const short = orchestrator.get('web')
    expect(short.state).toBe('degraded')
    expect(short.message).toMatch(/replica 2 lost with dev-6 and not rescheduled: no device fits 1 of 1|no device fits: (region|spread|state)/)
    store.close()
  })

  it('rolling update stops on a failing new version and keeps the old one serving', async () => {
    const { orchestrator, runner, store } = setup()
    await orchestrator.create({ name: 'api', module: 'trivial', replicas: 3, requirements: { memoryMb: 1024 }, strategy: 'cost' })
    await expect(orchestrator.update('api', { module: trapping })).rejects.toThrow(/update to sha256:[0-9a-f]{64} \(v2\) stopped at replica 0: .*unreachable.*; 0 of 3 replicas on v2, the rest on v1/)
    const failed = orchestrator.get('api')
    expect(failed.state).toBe('failed')
    expect(failed.instances.map((r) => [r.version, r.module, r.state])).toEqual([[1, 'trivial', 'running'], [1, 'trivial', 'running'], [1, 'trivial', 'running']])
    expect(runner.running.size).toBe(3)

    const updated = await orchestrator.update('api', { module: fixed })
    expect(updated.version).toBe(2)
    expect(updated.state).toBe('running')
    expect(updated.instances.every((r) => r.module === fixed && r.version === 2 && r.state === 'running')).toBe(true)
    store.close()
  })

  it('scales, migrates, destroys, and frees what it held', async () => {
    const { orchestrator, store } = setup()
    await orchestrator.create({ name: 'cache', module: 'trivial', replicas: 2, requirements: { memoryMb: 8192 }, strategy: 'cost' })
    expect(orchestrator.registry.get('dev-0').usedMemoryMb).toBe(8192)
    expect((await orchestrator.scale('cache', 4)).instances.map((r) => r.deviceId)).toEqual(['dev-0', 'dev-1', 'dev-2', 'dev-3'])
    expect((await orchestrator.scale('cache', 1)).instances.map((r) => r.deviceId)).toEqual(['dev-0'])
    expect(orchestrator.registry.get('dev-3').usedMemoryMb).toBe(0)

    const moved = await orchestrator.migrate('cache', { region: 'eu-west' })
    expect(moved.instances.map((r) => [r.deviceId, r.region])).toEqual([['dev-7', 'eu-west']])
    expect(moved.requirements.region).toBe('eu-west')
    expect(orchestrator.registry.get('dev-0').usedMemoryMb).toBe(0)
    await expect(orchestrator.scale('cache', 2)).rejects.toThrow(/no device fits 1 of 1 replicas|no device fits: .*(region|spread)/)

    expect(await orchestrator.destroy('cache')).toEqual({ name: 'cache', stopped: 1 })
    expect(orchestrator.registry.get('dev-7').usedMemoryMb).toBe(0)
    expect(() => orchestrator.get('cache')).toThrow(/no deployment cache/)
    await expect(orchestrator.create({ name: 'Bad Name', module: 'trivial', replicas: 1, requirements: {}, strategy: 'cost' })).rejects.toThrow(/lowercase/)
    store.close()
  })

  it('rebalance reports the gain, and moves only when asked', async () => {
    const { orchestrator, store } = setup()
    await orchestrator.create({ name: 'batch', module: 'trivial', replicas: 2, requirements: { memoryMb: 512, region: 'us-west-2' }, strategy: 'cost' })
    // Cheaper devices join.
    orchestrator.registry.register([device('cheap-1', { costPerHour: 0 }), device('cheap-2', { costPerHour: 0.01 })])
    const report = await orchestrator.rebalance({ name: 'batch' })
    expect(report.applied).toBe(false)
    expect(report.moves.map((m) => [m.from, m.to])).toEqual([['dev-0', 'cheap-1'], ['dev-1', 'cheap-1']])
    expect(report.totalGain).toBeGreaterThan(0.1)
    expect(devicesOf(orchestrator, 'batch')).toEqual(['dev-0', 'dev-1'])
    const applied = await orchestrator.rebalance({ name: 'batch', apply: true })
    expect(applied.meanAfter).toBeGreaterThan(applied.meanBefore)
    expect(devicesOf(orchestrator, 'batch').sort()).toEqual(['cheap-1', 'cheap-2'])
    expect((await orchestrator.rebalance({ name: 'batch' })).moves).toEqual([])
    store.close()
  })

  it('keeps deployments and allocations across a restart', async () => {
    const { home, orchestrator, store } = setup()
    await orchestrator.create({ name: 'keep', module: 'trivial', replicas: 2, requirements: { memoryMb: 4096, cpuMilli: 2000 }, strategy: 'cost' })
    orchestrator.close()
    store.close()
    const reopened = Store.open({ home })
    const again = new Orchestrator({ store: reopened })
    expect(again.get('keep').instances.map((r) => r.deviceId)).toEqual(['dev-0', 'dev-1'])
    expect(again.registry.get('dev-0')).toMatchObject({ usedMemoryMb: 4096, usedCpuMilli: 2000 })
    reopened.close()
  })
})
