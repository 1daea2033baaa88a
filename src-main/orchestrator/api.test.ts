import { afterEach, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../api/server'
import { createHost, type Host } from '../host'
import { tempHome } from '../testing/home'

let host: Host
let server: RunningServer
afterEach(async () => {
  await server?.close()
  await host?.close()
})

async function start() {
  host = createHost({ home: tempHome(), shell: 'test' })
  server = await startServer(host, { port: 0, rendererDir: '/nonexistent' })
  const base = server.url.replace(/\/$/, '')
  const auth = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }
  const post = async (path: string, body: unknown) => {
    const res = await fetch(base + path, { method: 'POST', headers: auth, body: JSON.stringify(body) })
    return { status: res.status, body: (await res.json()) as any }
  }
  const get = async (path: string) => {
    const res = await fetch(base + path, { headers: auth })
    return { status: res.status, body: (await res.json()) as any }
  }
  return { post, get }
}

const device = (name: string, lat: number, lon: number, region: string, extra: object = {}) => ({ name, lat, lon, region, cpu: 8, memoryMb: 16384, bandwidthMbps: 1000, costPerHour: 0.2, ...extra })

describe('orchestrator over REST, at the routes the issue names', () => {
  it('registers devices, lists them, places a workload with reasons, and runs the deployment lifecycle', async () => {
    const { post, get } = await start()
    expect((await post('/v4/edge/register', device('sfo-1', 37.77, -122.42, 'us-west-2', { slice: 'URLLC' }))).body).toMatchObject({ registered: 1 })
    const batch = await post('/v4/edge/register', { devices: [device('sea-1', 47.6, -122.3, 'us-west-2'), device('lon-1', 51.5, -0.1, 'eu-west'), device('fra-dc', 50.1, 8.7, 'eu-west', { tier: 'cloud', costPerHour: 1.2 })] })
    expect(batch.body.registered).toBe(3)
    const bad = await post('/v4/edge/register', device('x', 91, 0, 'eu-west'))
    expect(bad.status).toBe(400)

    const list = await get('/v4/edge/devices?region=eu-west')
    expect(list.body.total).toBe(2)
    expect(list.body.devices.map((d: { id: string }) => d.id)).toEqual(['fra-dc', 'lon-1'])

    const placed = await post('/v4/edge/workload/place', { requirements: { memoryMb: 1024, maxLatencyMs: 20, origin: { lat: 48.86, lon: 2.35 } }, strategy: 'latency', replicas: 1 })
    expect(placed.status).toBe(200)
    expect(placed.body.replicas[0]).toMatchObject({ deviceId: 'lon-1', location: 'edge' })
    expect(placed.body.replicas[0].reason).toMatch(/lowest latency .* distance \+ 2\.0 ms RTT\); latency budget 20 ms ≤ 50 ms, so edge/)
    expect(Object.keys(placed.body.replicas[0].score)).toEqual(['latency', 'capacity', 'bandwidth', 'cost', 'total'])
    const none = await post('/v4/edge/workload/place', { requirements: { slice: 'URLLC', region: 'eu-west' } })
    expect(none.status).toBe(409)
    expect(none.body.error.message).toMatch(/no device fits: slice excluded the most devices \(3 of 4; not on 5G slice URLLC\)/)

    const created = await post('/v4/edge/deployments', { name: 'web', module: 'trivial', replicas: 2, requirements: { memoryMb: 8192, region: 'us-west-2' }, strategy: 'cost' })
    expect(created.body).toMatchObject({ name: 'web', replicas: 2, state: 'placed' })
    expect(created.body.instances.map((r: { deviceId: string }) => r.deviceId).sort()).toEqual(['sea-1', 'sfo-1'])
    expect((await get('/v4/edge/deployments')).body.map((d: { name: string }) => d.name)).toEqual(['web'])
    expect((await get('/v4/edge/deployment?name=web')).body.instances).toHaveLength(2)
    expect((await post('/v4/edge/deployments/scale', { name: 'web', replicas: 1 })).body.instances).toHaveLength(1)
    expect((await post('/v4/edge/deployments/migrate', { name: 'web', region: 'eu-west' })).body.instances[0].region).toBe('eu-west')
    expect((await post('/v4/edge/deployments/update', { name: 'web', module: 'hash' })).body).toMatchObject({ module: 'hash', version: 2 })
    expect((await post('/v4/edge/rebalance', { name: 'web' })).body).toMatchObject({ applied: false })
    expect((await post('/v4/edge/deployments/delete', { name: 'web' })).body).toEqual({ name: 'web', stopped: 1 })
    expect((await get('/v4/edge/deployment?name=web')).status).toBe(404)

    const audit = host.audit.log.query({ action: 'edge.deploy' }, 10)
    expect(JSON.stringify(audit)).toMatch(/edge\.deploy/)
  })

  it('keeps latency-tolerant work off cloud nodes while edge_cloud_continuum is off, and says so in the reason', async () => {
    const { post } = await start()
    await post('/v4/edge/register', { devices: [device('lon-1', 51.5, -0.1, 'eu-west'), device('fra-dc', 50.1, 8.7, 'eu-west', { tier: 'cloud', costPerHour: 1.2 })] })
    const tolerant = { requirements: { memoryMb: 1024, origin: { lat: 48.86, lon: 2.35 } }, strategy: 'latency', replicas: 1 }

    await post('/v4/release/flags', { name: 'edge_cloud_continuum', enabled: true, rollout: 100 })
    expect((await post('/v4/edge/workload/place', tolerant)).body.replicas[0]).toMatchObject({ deviceId: 'fra-dc', location: 'cloud' })

    await post('/v4/release/flags', { name: 'edge_cloud_continuum', enabled: false })
    const held = (await post('/v4/edge/workload/place', tolerant)).body.replicas[0]
    expect(held).toMatchObject({ deviceId: 'lon-1', location: 'edge' })
    expect(held.reason).toMatch(/edge only: cloud nodes not used, flag edge_cloud_continuum is off \(/)
    const deployed = await post('/v4/edge/deployments', { name: 'batch', module: 'trivial', replicas: 1, requirements: { memoryMb: 1024 } })
    expect(deployed.body.instances[0]).toMatchObject({ deviceId: 'lon-1', location: 'edge' })
  })
})
