/**
 * Nothing a peer sends ends the process: a request whose body is not a request is answered with a
 * typed refusal and counted; a listener that throws is logged and the link goes on. Both ways: a
 * hostile agent against the console, and a hostile console against an agent. Real TCP on loopback.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../store'
import { EdgeAgent } from './agent'
import { ProtocolConsole } from './console'
import { createIdentity } from './handshake'
import { MAX_REJECTIONS } from './link'
import { connectToConsole } from './session'
import { rawRequest } from './testing/hostile-peer'
import { zstdReady } from './v3'

beforeAll(() => zstdReady)

const escaped: unknown[] = []
const onEscape = (err: unknown) => escaped.push(err)
const cleanups: (() => Promise<void> | void)[] = []
beforeAll(() => {
  // What reaches these would, in a shell without them, end the process.
  process.on('unhandledRejection', onEscape)
  process.on('uncaughtException', onEscape)
  return () => {
    process.off('unhandledRejection', onEscape)
    process.off('uncaughtException', onEscape)
  }
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), `dwcp-${prefix}-`))
const text = (s: string) => Buffer.from(s)
const until = async (check: () => boolean, what: string, ms = 10_000) => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function startConsole() {
  const home = temp('contain')
  const store = Store.open({ home })
  const logged: { level: string; message: string; details: Record<string, unknown> }[] = []
  const c = new ProtocolConsole({ store, home, heartbeatMs: 200, log: (level, message, details) => logged.push({ level, message, details }) })
  const { port } = await c.listen('127.0.0.1', 0)
  cleanups.push(async () => {
    await c.close()
    store.close()
  })
  return { console: c, port, logged }
}

async function hostileAgent(c: ProtocolConsole, port: number, name: string) {
  const r = await connectToConsole({ host: '127.0.0.1', port, identity: createIdentity(), name, versions: ['4.0.0'], token: c.issueToken().token, capabilities: {} })
  cleanups.push(() => r.link.close())
  await until(() => c.list().some((a) => a.name === name), `${name} to be listed`)
  return r.link
}

/** Bodies of `request` frames that are not requests. */
const NOT_REQUESTS: [string, Uint8Array][] = [
  ['an empty list', text('[]')],
  ['null', text('null')],
  ['a number', text('42')],
  ['a string', text('"agent.list"')],
  ['no JSON at all', text('{"method": ')],
  ['a method that is not text', text('{"method": 5}')],
  ['a 200 000-deep nesting', text('['.repeat(200_000) + ']'.repeat(200_000))],
]

describe('a hostile agent against the console', () => {
  it('gets a typed refusal for every request body that is not a request, and the console keeps its link and its agents', async () => {
    const { console: c, port } = await startConsole()
    const link = await hostileAgent(c, port, 'edge-hostile')
    await hostileAgent(c, port, 'edge-bystander')
    for (const [what, body] of NOT_REQUESTS) {
      const answer = await rawRequest(link, body)
      expect(answer.failed, what).toBe(true)
      expect(answer.body, what).toMatch(/console: request refused: (a message payload (is not JSON|must be a JSON object|nests deeper than 128 levels)|a request needs a method name)/)
    }
    // Nesting within the limit is a request like any other: refused by what it asks for.
    const nested = await rawRequest(link, text(`{"method":"agent.list","payload":${'['.repeat(100)}${']'.repeat(100)}}`))
    expect(nested).toEqual({ failed: true, body: 'console: agent.list: this side answers no requests' })
    expect(link.closed).toBe(false)
    expect(c.list().map((a) => a.name).sort()).toEqual(['edge-bystander', 'edge-hostile'])
    expect(c.status().rejectedTotals.malformed).toBe(NOT_REQUESTS.length)
    expect(escaped).toEqual([])
  })

  it(`closes only the link that keeps sending them, at ${MAX_REJECTIONS}`, async () => {
    const { console: c, port } = await startConsole()
    const link = await hostileAgent(c, port, 'edge-hostile')
    const bystander = await hostileAgent(c, port, 'edge-bystander')
    for (let i = 0; i < MAX_REJECTIONS - 1; i++) await rawRequest(link, text('[]'))
    expect(link.closed).toBe(false)
    void rawRequest(link, text('[]')).catch(() => {})
    await until(() => c.list().length === 1, 'the hostile link to be closed')
    expect(c.list()[0]!.name).toBe('edge-bystander')
    expect(bystander.closed).toBe(false)
    expect(escaped).toEqual([])
  })

  it('logs a listener that throws, and the link and the other listeners go on', async () => {
    const { console: c, port, logged } = await startConsole()
    let beats = 0
    c.on('heartbeat', () => {
      throw new Error('a listener with a bug')
    })
    c.on('heartbeat', () => void beats++)
    const link = await hostileAgent(c, port, 'edge-1')
    link.sendState({ load: 0.5 })
    link.sendState({ load: 0.6 })
    await until(() => beats >= 2, 'two heartbeats')
    expect(logged.some((l) => l.level === 'error' && /contained an error in a heartbeat listener/.test(l.message) && l.details.err === 'a listener with a bug')).toBe(true)
    expect(link.closed).toBe(false)
    expect(c.list()).toHaveLength(1)
    expect(escaped).toEqual([])
  })
})

describe('a hostile console against an agent', () => {
  it('gets a typed refusal from the agent, which keeps its link and keeps answering', async () => {
    const { console: c, port } = await startConsole()
    const lines: string[] = []
    const agent = new EdgeAgent({
      host: '127.0.0.1',
      port,
      name: 'edge-target',
      token: c.issueToken().token,
      home: temp('target'),
      capabilities: {},
      onRequest: (method, payload) => (method === 'echo' ? payload : Promise.reject(new Error(`unknown method ${method}`))),
      state: () => ({ load: 0 }),
      log: (l) => lines.push(l),
    })
    cleanups.push(() => agent.stop())
    await agent.connect()
    await until(() => c.list().length === 1, 'the agent')
    const toAgent = c.list()[0]!.link
    for (const [what, body] of NOT_REQUESTS) {
      const answer = await rawRequest(toAgent, body)
      expect(answer.failed, what).toBe(true)
      expect(answer.body, what).toMatch(/^edge-target: request refused: /)
    }
    expect(agent.link!.closed).toBe(false)
    expect(await c.callAgent('edge-target', 'echo', { still: 'here' })).toEqual({ still: 'here' })
    expect(escaped).toEqual([])
  })
})
