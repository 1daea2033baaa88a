/**
 * The orchestrator on a live fleet, as an operator runs it: `dwcp serve`, then `dwcp fleet demo`
 * (real agent processes), deployments through the REST API and the CLI. An agent killed with its
 * replicas sees them come back elsewhere; a rolling update to a module that fails stops at the first
 * replica and leaves the deployment on the old version, running.
 */
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { dwcp, dwcpBackground } from '../testing/cli'
import { waitFor } from '../testing/context'
import { tempHome } from '../testing/home'
import { killAll } from '../testing/process'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c()
})

/** A module whose start function traps: it compiles, and no instance of it ever comes up. */
const TRAPPING_WASM = Buffer.from('0061736d01000000' + '010401600000' + '03020100' + '080100' + '0a050103' + '00000b', 'hex')

type Deployment = { name: string; state: string; module: string; version: number; message: string; instances: { replica: number; deviceId: string; state: string; module: string }[] }

async function startConsoleWithFleet(agents: number) {
  const home = tempHome('dwcp-live-')
  const server = dwcpBackground(home, 'serve', '--port', '0', '--agent-port', '0')
  cleanups.push(() => server.child.kill('SIGKILL'))
  const url = (await server.firstLine).replace(/\/$/, '')
  await waitFor(() => /agents: dwcp:\/\//.test(server.output()), 'the agents line')
  const token = dwcp(home, 'token').stdout.trim()
  const demo = dwcpBackground(home, 'fleet', 'demo', '--agents', String(agents))
  const pids = () => [...demo.output().matchAll(/\(pid (\d+),/g)].map((m) => Number(m[1]))
  cleanups.push(() => killAll(demo.child, pids()))
  await waitFor(() => new RegExp(`${agents} of ${agents} agents connected`).test(demo.output()), `${agents} demo agents connected`, 60_000)
  const api = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) })
    return { status: res.status, body: (await res.json()) as any }
  }
  const pidOf = (name: string) => Number(new RegExp(`${name} \\(pid (\\d+),`).exec(demo.output())?.[1])
  return { home, api, pidOf, demo }
}

describe('a live fleet of agent processes', () => {
  it('runs 6 replicas on agents, brings back those of a killed agent elsewhere, and stops a failing rolling update', async () => {
    const { home, api, pidOf } = await startConsoleWithFleet(7)
    expect((await api('GET', '/v4/edge/devices')).body.devices.filter((d: { source: string; state: string }) => d.source === 'agent' && d.state === 'online')).toHaveLength(7)

    const created = await api('POST', '/v4/edge/deployments', { name: 'web', module: 'trivial', replicas: 6, requirements: { memoryMb: 1024 } })
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({ name: 'web', state: 'running' })
    const devices = (created.body as Deployment).instances.map((r) => r.deviceId)
    expect(new Set(devices).size).toBe(6)

    // Kill the agent of replica 0 outright: its link drops, the device goes offline, the replica moves.
    const victim = devices[0]!
    process.kill(pidOf(victim), 'SIGKILL')
    const get = async () => (await api('GET', '/v4/edge/deployment?name=web')).body as Deployment
    await waitFor(async () => {
      const d = await get()
      return d.state === 'running' && !d.instances.some((r) => r.deviceId === victim) ? d : undefined
    }, 'replica 0 rescheduled off the killed agent')
    const after = await get()
    expect(after.instances).toHaveLength(6)
    expect(after.instances.every((r) => r.state === 'running')).toBe(true)
    expect((await api('GET', '/v4/edge/devices')).body.devices.find((d: { id: string }) => d.id === victim).state).toBe('offline')

    // Upload a module whose instances trap at start; the console keeps its bytes and sends them to the agents.
    const sha = createHash('sha256').update(TRAPPING_WASM).digest('hex')
    await api('POST', '/v4/wasm/execute', { module: { base64: TRAPPING_WASM.toString('base64'), name: 'broken.wasm' } })
    const update = await api('POST', '/v4/edge/deployments/update', { name: 'web', module: `sha256:${sha}` })
    const text = JSON.stringify(update.body)
    expect(update.status).toBe(409)
    expect(text).toMatch(/stopped at replica 0: .*unreachable.*; 0 of 6 replicas on v2, the rest on v1/)
    // The deployment says its update failed; every replica still serves the old module.
    const kept = await get()
    expect(kept).toMatchObject({ module: 'trivial', version: 1, state: 'failed' })
    expect(kept.instances.every((r) => r.module === 'trivial' && r.state === 'running')).toBe(true)

    // A deployment made from the command line beside the running console is started by the console.
    const cli = dwcp(home, 'deploy', 'batch', '--module', 'trivial', '--replicas', '1', '--memory', '512MB', '--json')
    expect(cli.status).toBe(0)
    expect(JSON.parse(cli.stdout)).toMatchObject({ name: 'batch', state: 'placed' })
    await waitFor(async () => ((await api('GET', '/v4/edge/deployment?name=batch')).body.state === 'running' ? true : undefined), 'the console to start the CLI’s replica')
  }, 300_000)
})
