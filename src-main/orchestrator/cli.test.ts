/** The orchestrator's commands as a user types them, through the built `dwcp` launcher. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dwcp } from '../testing/cli'
import { tempHome } from '../testing/home'

const DATA = join(import.meta.dirname, 'testdata', 'alibaba-gpu-v2023')

describe('dwcp edge / deploy / scale / update / migrate / destroy', () => {
  it('registers devices, places with reasons, and runs a deployment through its life', () => {
    const home = tempHome()
    const reg = (...args: string[]) => dwcp(home, 'edge', 'register', '--bandwidth', '1000', '--cost', '0.2', '--cpu', '8', '--memory', '16GB', ...args)
    expect(reg('--name', 'sfo-1', '--lat', '37.77', '--lon', '-122.42', '--region', 'us-west-2')).toMatchObject({ status: 0, stdout: 'registered 1 device: sfo-1\n' })
    reg('--name', 'sea-1', '--lat', '47.6', '--lon', '-122.3', '--region', 'us-west-2')
    reg('--name', 'lon-1', '--lat', '51.5', '--lon', '-0.1', '--region', 'eu-west')
    const list = JSON.parse(dwcp(home, 'edge', 'list', '--json').stdout)
    expect(list.total).toBe(3)
    expect(list.devices[0]).toMatchObject({ id: 'lon-1', memoryMb: 16384, cpu: 8, state: 'online' })

    const place = dwcp(home, 'edge', 'place', '--memory', '8GB', '--origin', '37.4,-122.1', '--max-latency', '20', '--strategy', 'latency', '--replicas', '2')
    expect(place.stdout).toMatch(/^replica 0 {2}edge {3}sfo-1 {2}[\d.]+ ms {2}score [\d.]+\n {2}sfo-1 \(us-west-2\/us-west-2\): lowest latency/)
    expect(place.stdout).toMatch(/replica 1 {2}edge {3}sea-1/)

    const deploy = dwcp(home, 'deploy', 'web', '--module', 'trivial', '--replicas', '2', '--memory', '8GB', '--region', 'us-west-2', '--json')
    expect(deploy.status).toBe(0)
    expect(JSON.parse(deploy.stdout)).toMatchObject({ name: 'web', replicas: 2, state: 'placed', requirements: { memoryMb: 8192, region: 'us-west-2' } })
    expect(dwcp(home, 'scale', 'web', '3')).toMatchObject({ status: 1, stderr: 'dwcp: no device fits: spread excluded the most devices (2 of 3; each replica needs a device of its own, and every device that fits holds one already)\n' })
    expect(dwcp(home, 'update', 'web', '--module', 'hash').stdout).toMatch(/^web {2}hash v2 {2}2\/2 replicas/)
    expect(dwcp(home, 'migrate', 'web', '--region', 'eu-west')).toMatchObject({ status: 1, stderr: expect.stringMatching(/no device fits/) })
    expect(JSON.parse(dwcp(home, 'deployments', 'web', '--json').stdout).requirements.region).toBe('us-west-2')
    expect(dwcp(home, 'scale', 'web', '1').stdout).toMatch(/1\/1 replicas/)
    expect(dwcp(home, 'migrate', 'web', '--region', 'eu-west').stdout).toMatch(/#0 {2}placed {3}lon-1/)
    expect(dwcp(home, 'destroy', 'web')).toMatchObject({ status: 0, stdout: 'destroyed web: 1 replica stopped\n' })
    expect(dwcp(home, 'deployments').stdout).toBe('no deployments: `dwcp deploy NAME --module trivial` makes one\n')
  }, 300_000) // `dwcp` processes one after another: minutes on a busy two-core machine

  it('refuses bad input with one line on stderr and a non-zero exit, changing nothing', () => {
    const home = tempHome()
    expect(dwcp(home, 'edge', 'register', '--name', 'x')).toMatchObject({ status: 2, stderr: 'dwcp: dwcp edge register needs --lat, --lon, --region, --cpu, --memory, --bandwidth, --cost (or --file)\n' })
    expect(dwcp(home, 'edge', 'register', '--name', 'x', '--lat', '95', '--lon', '0', '--region', 'r', '--cpu', '1', '--memory', '1GB', '--bandwidth', '1', '--cost', '0').status).not.toBe(0)
    expect(dwcp(home, 'deploy', 'web', '--module', 'trivial', '--memory', 'lots')).toMatchObject({ status: 2, stderr: 'dwcp: --memory takes a size like 512MB or 8GB, not "lots"\n' })
    expect(dwcp(home, 'deploy', 'web', '--module', 'trivial')).toMatchObject({ status: 1, stderr: 'dwcp: no device fits: no devices are registered\n' })
    // Port 1: nothing listens there, whatever else runs on this machine.
    expect(dwcp(home, 'fleet', 'demo', '--agents', '3', '--console', '127.0.0.1:1')).toMatchObject({ status: 1, stderr: expect.stringMatching(/^dwcp: no console is listening for agents at 127\.0\.0\.1:1: start it first/) })
    expect(dwcp(home, 'fleet', 'demo', '--agents', '100')).toMatchObject({ status: 2, stderr: 'dwcp: --agents is at most 64, not 100\n' })
    expect(JSON.parse(dwcp(home, 'edge', 'list', '--json').stdout)).toEqual({ total: 0, devices: [] })
  }, 300_000)

  it('replays the GPU trace: one JSON line per strategy, also from a file without the optional columns', () => {
    const home = tempHome()
    const nodes = join(DATA, 'openb_node_list_all_node.csv')
    const sim = dwcp(home, 'edge', 'simulate', '--nodes', nodes, '--pods', join(DATA, 'openb_pod_list_default.csv'), '--strategy', 'cost', '--json')
    expect(sim.status).toBe(0)
    const line = JSON.parse(sim.stdout)
    expect(Object.keys(line).slice(0, 7)).toEqual(['strategy', 'pods', 'placed', 'unplaced', 'place_us_p50', 'place_us_p99', 'gpu_fragmentation'])
    expect(line).toMatchObject({ strategy: 'cost', pods: 8152, timed: true })
    const bare = join(home, 'bare.csv')
    writeFileSync(bare, 'name,cpu_milli,memory_mib,num_gpu,gpu_milli\n' + Array.from({ length: 3000 }, (_, i) => `p${i},32000,131072,8,1000`).join('\n'))
    const all = dwcp(home, 'edge', 'simulate', '--nodes', nodes, '--pods', bare, '--strategy', 'all', '--json').stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(all.map((r) => r.strategy)).toEqual(['latency', 'capacity', 'bandwidth', 'cost', 'intelligent', 'best-fit', 'packing'])
    for (const r of all) expect(r.unplaced).toBeGreaterThan(0)
    expect(dwcp(home, 'edge', 'simulate', '--nodes', nodes, '--pods', '/nope.csv')).toMatchObject({ status: 2, stderr: 'dwcp: cannot read /nope.csv: no such file\n' })
    writeFileSync(bare, 'name,cpu\nx,1')
    expect(dwcp(home, 'edge', 'simulate', '--nodes', nodes, '--pods', bare).stderr).toMatch(/bare\.csv:1: missing columns cpu_milli, memory_mib, num_gpu, gpu_milli \(header: name,cpu\)/)
  }, 300_000)
})
