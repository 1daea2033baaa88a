/**
 * Red team: hostile peers on the agent port of a real `dwcp serve`. An enrolled agent (a real
 * identity, enrolled with a real one-time token) sends request frames whose body is not a request;
 * a captured hello is replayed hundreds of times. What an operator must see: the console answers
 * each with a refusal and keeps serving (health p99 under 100 ms, no failed probe), the Protocol API
 * still lists its agents, and no replay costs a signature.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClientHello, createIdentity } from '../src-main/protocol/handshake'
import { MAX_REJECTIONS, type Link } from '../src-main/protocol/link'
import { FEATURES } from '../src-main/protocol/negotiate'
import { connectToConsole } from '../src-main/protocol/session'
import { rawRequest, sendHello, type HelloAnswer } from '../src-main/protocol/testing/hostile-peer'
import { healthBar, probeHealth, stillRunning } from './support/red-team'
import { dwcp, launcher, startServe, type ServeProcess } from './support/server'

let serve: ServeProcess
let apiToken: string
let agentHost: string
let agentPort: number
const agents: { child: ChildProcess; home: string; stderr: () => string }[] = []

async function api(path: string, body?: unknown): Promise<any> {
  const r = await fetch(new URL(path, serve.url), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return r.headers.get('content-type')?.includes('json') ? r.json() : r.text()
}

const enrolmentToken = async (): Promise<string> => (await api('/v4/protocol/token', {})).token
const connectedNames = async (): Promise<string[]> => ((await api('/v4/protocol/status')).peers as { name: string }[]).map((p) => p.name).sort()

/** Hellos answered with a signature so far, from the console's /metrics. */
async function signedHandshakes(): Promise<number> {
  const text = (await api('/metrics')) as string
  return Number(/dwcp_protocol_handshakes_total\{outcome="signed"\} (\d+)/.exec(text)?.[1] ?? NaN)
}

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 100 })

/** A real `dwcp agent` in a data folder of its own. */
function startAgent(token: string, name: string): void {
  const home = mkdtempSync(join(tmpdir(), `dwcp-red-${name}-`))
  const child = spawn(process.execPath, [launcher, 'agent', '--console', serve.agentAddress, '--token', token, '--name', name], { env: { ...process.env, DWCP_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (d) => (err += d))
  agents.push({ child, home, stderr: () => err })
}

beforeAll(async () => {
  serve = await startServe()
  apiToken = dwcp(serve.home, 'token').trim()
  const [host, port] = serve.agentAddress.split(':')
  agentHost = host!
  agentPort = Number(port)
  startAgent(await enrolmentToken(), 'edge-bystander')
  const end = Date.now() + 60_000
  while ((await connectedNames()).join() !== 'edge-bystander') {
    if (Date.now() > end) throw new Error(`the bystander agent did not connect within 60 s: ${agents[0]!.stderr()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
})

afterAll(async () => {
  for (const a of agents) {
    if (stillRunning(a.child)) {
      a.child.kill('SIGTERM')
      await new Promise((r) => a.child.once('exit', r))
    }
    rmSync(a.home, { recursive: true, force: true })
  }
  await serve?.stop()
})

/** Request bodies no honest agent sends: each must get a refusal, none may stop the console. */
const NOT_REQUESTS: [string, string][] = [
  ['an empty list', '[]'],
  ['null', 'null'],
  ['a number', '42'],
  ['a string', '"protocol.status"'],
  ['a 100 000-deep nesting', '['.repeat(100_000) + ']'.repeat(100_000)],
  ['a method that is not text', '{"method":{"method":[]}}'],
]

describe('hostile enrolled agents', () => {
  it('get a refusal for each request that is not a request; the console keeps serving and listing its agents, and closes only the link that has had enough', async () => {
    // The handshakes' signing happens here, before the probe: only the console is being measured.
    const names = ['edge-hostile-1', 'edge-hostile-2', 'edge-hostile-3']
    const hostile: Link[] = []
    for (const name of names) hostile.push((await connectToConsole({ host: agentHost, port: agentPort, identity: createIdentity(), name, versions: ['4.0.0'], token: await enrolmentToken(), capabilities: { region: 'eu-west' } })).link)
    await eventually(connectedNames).toEqual(['edge-bystander', ...names])

    const bar = await healthBar(serve.url)

    const probe = probeHealth(serve.url)
    // Two rounds of every body on every link, paced over about three seconds: 12 refusals a link,
    // under the MAX_REJECTIONS that closes one.
    const answers = []
    const rounds = 2
    const pause = 3000 / (rounds * hostile.length * NOT_REQUESTS.length)
    for (let round = 0; round < rounds; round++)
      for (const link of hostile)
        for (const [what, body] of NOT_REQUESTS) {
          answers.push({ what, ...(await rawRequest(link, Buffer.from(body), 30_000)) })
          await new Promise((r) => setTimeout(r, pause))
        }
    expect(stillRunning(serve.child)).toBe(true)
    expect(hostile.map((l) => l.closed)).toEqual([false, false, false])
    expect(await connectedNames()).toEqual(['edge-bystander', ...names])
    // Past MAX_REJECTIONS refused frames the console closes that link, and only that one.
    for (let i = rounds * NOT_REQUESTS.length; i < MAX_REJECTIONS; i++) void rawRequest(hostile[0]!, Buffer.from('[]'), 30_000).catch(() => {})
    await eventually(() => hostile[0]!.closed).toBe(true)
    const health = await probe.stop()

    expect(answers).toHaveLength(rounds * hostile.length * NOT_REQUESTS.length)
    for (const a of answers) {
      expect(a.failed, a.what).toBe(true)
      expect(a.body, a.what).toMatch(/^console: request refused: (a message payload (must be a JSON object|nests deeper than 128 levels)|a request needs a method name)/)
    }
    expect(hostile[0]!.closeReason).toBe(`console closed the link: ${MAX_REJECTIONS} frames refused; closing the link`)
    expect(stillRunning(serve.child)).toBe(true)
    expect(health.failures).toBe(0)
    expect(health.p99Ms).toBeLessThan(bar)
    expect(await connectedNames()).toEqual(['edge-bystander', 'edge-hostile-2', 'edge-hostile-3'])
    const status = await api('/v4/protocol/status')
    expect(status.rejectedTotals.malformed).toBeGreaterThanOrEqual(MAX_REJECTIONS + 2 * rounds * NOT_REQUESTS.length)
    for (const link of hostile.slice(1)) link.close()
  })
})

describe('a captured hello, replayed', () => {
  it('is refused 300 times over about 5 s without one signature; the console keeps serving and an honest agent still connects', async () => {
    const identity = createIdentity()
    const hello = createClientHello({ identity, name: 'edge-captured', versions: ['4.0.0'], features: FEATURES })
    // The hello is used once, honestly: a full handshake the console signs.
    const first = await connectToConsole({ host: agentHost, port: agentPort, identity, name: 'edge-captured', versions: ['4.0.0'], token: await enrolmentToken(), capabilities: {}, hello })
    expect(first.auth).toBe('signature')
    first.link.close()
    const signedBefore = await signedHandshakes()
    expect(signedBefore).toBeGreaterThanOrEqual(1)

    const bar = await healthBar(serve.url)

    const probe = probeHealth(serve.url)
    const replays: Promise<HelloAnswer>[] = []
    const started = performance.now()
    for (let i = 0; i < 300; i++) {
      replays.push(sendHello(agentHost, agentPort, hello.payload))
      // About 60 a second: the pace is the attack's, not a limit on the console.
      const due = started + (i + 1) * (5000 / 300)
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())))
    }
    const answers = await Promise.all(replays)
    const health = await probe.stop()

    const kinds = new Map<string, number>()
    for (const a of answers) kinds.set(`${a.type} ${a.code ?? ''}`.trim(), (kinds.get(`${a.type} ${a.code ?? ''}`.trim()) ?? 0) + 1)
    expect(Object.fromEntries(kinds)).toEqual({ 'error replay': 300 })
    expect(answers[0]!.message).toMatch(/this hello was already used: a replayed handshake is refused/)
    expect(await signedHandshakes()).toBe(signedBefore)
    expect(stillRunning(serve.child)).toBe(true)
    expect(health.failures).toBe(0)
    expect(health.p99Ms).toBeLessThan(bar)

    // The honest agent whose hello it was reconnects with a fresh one.
    const again = await connectToConsole({ host: agentHost, port: agentPort, identity, name: 'edge-captured', versions: ['4.0.0'], capabilities: {} })
    await eventually(connectedNames).toContain('edge-captured')
    again.link.close()
    expect(await connectedNames()).toContain('edge-bystander')
  })
})
