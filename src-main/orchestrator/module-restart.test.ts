/**
 * An uploaded module outlives the console: upload it to `dwcp serve`, deploy it on a real agent,
 * stop the console (SIGTERM) and start it again on the same data folder; once the agents are back,
 * scaling the deployment starts a replica on an agent that never saw the module, without the module
 * being uploaded again (the console reads it from the data folder and sends it along).
 */
import { createHash } from 'node:crypto'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import wabtInit from 'wabt'
import { afterEach, describe, expect, it } from 'vitest'
import { dwcp, dwcpBackground } from '../testing/cli'
import { waitFor } from '../testing/context'
import { tempHome } from '../testing/home'
import { killAll } from '../testing/process'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c()
})

type Deployment = { name: string; state: string; module: string; instances: { replica: number; deviceId: string; state: string; message?: string }[] }

async function tinyModule(): Promise<Uint8Array> {
  const wabt = await wabtInit()
  const module = wabt.parseWat('answer.wat', '(module (func (export "answer") (result i32) (i32.const 42)))', {})
  try {
    return new Uint8Array(module.toBinary({}).buffer)
  } finally {
    module.destroy()
  }
}

/** A port nobody listens on: the agents must find the restarted console where the first one was. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function startConsole(home: string, agentPort: number) {
  const server = dwcpBackground(home, 'serve', '--port', '0', '--agent-port', String(agentPort))
  cleanups.push(() => server.child.kill('SIGKILL'))
  const url = (await server.firstLine).replace(/\/$/, '')
  await waitFor(() => /agents: dwcp:\/\//.test(server.output()), 'the agents line')
  const token = dwcp(home, 'token').stdout.trim()
  const api = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) })
    return { status: res.status, body: (await res.json()) as any }
  }
  // Links the console holds now: the device table still says 'online' for agents of the last run
  // until they reconnect or fail, so it cannot tell that they are back.
  const agentsConnected = async () => ((await api('GET', '/v4/protocol/status')).body.peers as unknown[]).length
  return { child: server.child, api, agentsConnected }
}

function stopped(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))))
}

describe('an uploaded module after a console restart', () => {
  it('scales its deployment up on an agent that never saw it, without uploading it again', async () => {
    const home = tempHome('dwcp-module-restart-')
    const agentPort = await freePort()
    const first = await startConsole(home, agentPort)
    const demo = dwcpBackground(home, 'fleet', 'demo', '--agents', '2')
    cleanups.push(() => killAll(demo.child, [...demo.output().matchAll(/\(pid (\d+),/g)].map((m) => Number(m[1]))))
    await waitFor(() => /2 of 2 agents connected/.test(demo.output()), '2 demo agents connected', 60_000)

    const wasm = await tinyModule()
    const sha = createHash('sha256').update(wasm).digest('hex')
    const upload = await first.api('POST', '/v4/wasm/execute', { module: { base64: Buffer.from(wasm).toString('base64'), name: 'answer.wasm' }, invoke: 'answer' })
    expect(upload).toMatchObject({ status: 200, body: { values: [42], module: { sha256: sha } } })
    const created = await first.api('POST', '/v4/edge/deployments', { name: 'answer', module: `sha256:${sha}`, replicas: 1, requirements: { memoryMb: 256 } })
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({ state: 'running', instances: [{ state: 'running' }] })
    const firstDevice = (created.body as Deployment).instances[0]!.deviceId

    first.child.kill('SIGTERM')
    expect(await stopped(first.child)).toBe(0)

    // Same data folder, same agent port: the agents reconnect by themselves. Nothing is uploaded again.
    const second = await startConsole(home, agentPort)
    await waitFor(async () => ((await second.agentsConnected()) === 2 ? true : undefined), 'both agents back on the restarted console', 90_000)
    const get = async () => (await second.api('GET', '/v4/edge/deployment?name=answer')).body as Deployment
    await waitFor(async () => ((await get()).state === 'running' ? true : undefined), 'the deployment running on the restarted console').catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await get())}`)
    })

    const scaled = await second.api('POST', '/v4/edge/deployments/scale', { name: 'answer', replicas: 2 })
    expect(scaled.status, JSON.stringify(scaled.body)).toBe(200)
    const after = await waitFor(async () => {
      const d = await get()
      return d.instances.length === 2 && d.instances.every((r) => r.state === 'running') ? d : undefined
    }, 'both replicas running').catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify((await get()).instances)}`)
    })
    expect(after).toMatchObject({ state: 'running', module: `sha256:${sha}` })
    // The new replica runs on the agent that had never been sent the module.
    const devices = after.instances.map((r) => r.deviceId)
    expect(devices).toContain(firstDevice)
    expect(new Set(devices).size).toBe(2)
  }, 300_000)
})
