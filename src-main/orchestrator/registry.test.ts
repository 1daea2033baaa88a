import { describe, expect, it } from 'vitest'
import { Store } from '../store'
import { tempHome } from '../testing/home'
import { DeviceRegistry, type DeviceInput } from './registry'

const device = (id: string, over: Partial<DeviceInput> = {}): DeviceInput => ({ id, name: id, lat: 45.7, lon: 4.8, region: 'eu-west', cpu: 4, memoryMb: 8192, bandwidthMbps: 500, costPerHour: 0.2, ...over })

describe('device registry in SQLite', () => {
  it('registers in batches, keeps heartbeats in memory until a flush, and survives a restart', () => {
    const home = tempHome()
    let store = Store.open({ home })
    let clock = 1_000_000
    let registry = new DeviceRegistry(store, () => clock)
    registry.register(Array.from({ length: 2000 }, (_, i) => device(`d-${i}`, { region: i % 2 ? 'eu-west' : 'us-west-2', slice: 'URLLC' })))
    expect(registry.list().length).toBe(2000)
    expect(registry.list({ region: 'us-west-2' }).length).toBe(1000)
    clock += 500
    registry.heartbeat('d-7', { load: 0.5, rttMs: 12 })
    expect(store.db.prepare("SELECT load FROM edge_devices WHERE id = 'd-7'").get()).toEqual({ load: 0 })
    expect(registry.flush()).toBe(1)
    expect(store.db.prepare("SELECT load, rtt_ms, last_seen_ms FROM edge_devices WHERE id = 'd-7'").get()).toEqual({ load: 0.5, rtt_ms: 12, last_seen_ms: clock })
    store.close()

    store = Store.open({ home })
    registry = new DeviceRegistry(store)
    expect(registry.get('d-7')).toMatchObject({ load: 0.5, rttMs: 12, slice: 'URLLC', cpuMilli: 4000 })
    expect(registry.list().length).toBe(2000)
    store.close()
  })

  it('refuses bad devices with a clear error and writes none of the batch', () => {
    const store = Store.open({ home: tempHome() })
    const registry = new DeviceRegistry(store)
    expect(() => registry.register([device('ok'), device('bad', { lat: 123 })])).toThrow(/device bad: lat must be between -90 and 90/)
    expect(() => registry.register([device('x', { slice: '6G' as never })])).toThrow(/slice is one of eMBB, URLLC, mMTC/)
    expect(() => registry.register([device('has space')])).toThrow(/letters, digits/)
    expect(registry.list()).toEqual([])
    expect(() => registry.heartbeat('ghost', { load: 0.1 })).toThrow(/no device ghost: register it first/)
    store.close()
  })

  it('sees devices another process registered (the CLI beside the app)', () => {
    const home = tempHome()
    const app = Store.open({ home })
    const appRegistry = new DeviceRegistry(app)
    const cli = Store.open({ home })
    new DeviceRegistry(cli).register([device('from-cli')])
    cli.close()
    expect(appRegistry.sync()).toBe(true)
    expect(appRegistry.get('from-cli').name).toBe('from-cli')
    expect(appRegistry.sync()).toBe(false)
    app.close()
  })
})
