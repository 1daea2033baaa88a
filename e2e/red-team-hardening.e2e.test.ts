/**
 * Red team: hostile pages, hostile endpoints and leftover processes against a real `dwcp serve`.
 * A page on a rebound name (DNS rebinding), a model endpoint that echoes the API key back in its
 * error, an endpoint that would take the key in clear, a stolen but idle sign-in cookie, and a
 * terminal tab whose background children should die with it. What a user must see: the console
 * refuses, the key is nowhere, and the console keeps answering.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startAnthropicServer, type AnthropicTestServer } from '../src-main/testing/anthropic-server'
import { dwcp, startServe, type ServeProcess } from './support/server'
import { healthBar, probeHealth, stillRunning, type HealthProbe } from './support/red-team'

/** Sign-in sessions of this console end after 6 s unused (DWCP_SESSION_IDLE_MINUTES). */
const IDLE_MINUTES = 0.1
/** Each attack is repeated, so the health probes beside it are many enough for a p99. */
const ROUNDS = 25

let serve: ServeProcess
let claude: AnthropicTestServer
let token: string
let port: number

beforeAll(async () => {
  process.env.DWCP_SESSION_IDLE_MINUTES = String(IDLE_MINUTES)
  try {
    serve = await startServe()
  } finally {
    delete process.env.DWCP_SESSION_IDLE_MINUTES
  }
  claude = await startAnthropicServer()
  token = dwcp(serve.home, 'token').trim()
  port = Number(new URL(serve.url).port)
  await warmUp()
}, 180_000)

/**
 * The first use of a route loads code (the Anthropic SDK on the first Claude call): done once before
 * the probes, so they measure the console under attack rather than its start-up.
 */
async function warmUp(): Promise<void> {
  expect((await rest('PUT', '/v4/settings/api-key', { apiKey: `warm-up-key-${Date.now().toString(36)}-0000000000` })).status).toBe(200)
  expect((await rest('PATCH', '/v4/settings', { intent: { baseURL: claude.baseURL, maxRetries: 0 } })).status).toBe(200)
  claude.reply({ toolUse: { name: 'classify_intent', input: { type: 'query', parameters: { target: 'web' }, confidence: 0.9 } } })
  const warm = JSON.parse((await rest('POST', '/v4/llm/parse', { text: 'how is web doing?' })).text)
  expect(warm.recogniser, warm.fallbackReason).toBe('claude')
  for (const path of ['/v4/settings', '/v4/audit/status', '/v4/health']) await rest('GET', path)
  await rest('POST', '/v4/audit/query', { limit: 10 })
  await withHost('/v4/health', `evil.example:${port}`)
  let quick = 0
  for (let i = 0; i < 200 && quick < 10; i++) {
    const started = performance.now()
    await fetch(new URL('/v4/health', serve.url))
    quick = performance.now() - started < 50 ? quick + 1 : 0
  }
}

afterAll(async () => {
  await claude?.close()
  await serve?.stop()
})

/** What a request to the console answers. */
async function rest(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(new URL(path, serve.url), { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  return { status: res.status, text: await res.text() }
}

/** A request as a rebinding browser sends it: to 127.0.0.1, with the attacker's name in Host. */
function withHost(path: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { ...headers, host } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** The HTTP status a WebSocket upgrade gets (101 when it opens). */
function upgradeStatus(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v4/stream`, { headers })
    socket.once('open', () => {
      socket.close()
      resolve(101)
    })
    socket.once('unexpected-response', (req, res) => {
      req.destroy()
      resolve(res.statusCode ?? 0)
    })
    socket.once('error', reject)
  })
}

async function expectStillServing(probe: HealthProbe, bar: number): Promise<void> {
  const health = await probe.stop()
  expect(stillRunning(serve.child)).toBe(true)
  expect(health.probes).toBeGreaterThan(0)
  expect(health.failures).toBe(0)
  expect(health.p99Ms).toBeLessThan(bar)
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
}

/** A pid that still runs (a killed orphan may stay a zombie under an init that does not reap). */
function running(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

async function eventually(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('red team: hardening of dwcp serve', () => {
  it('DNS rebinding: a foreign Host is refused on health, sign-in, pages and the WebSocket', async () => {
    const bar = await healthBar(serve.url)
    const probe = probeHealth(serve.url)
    const bearer = { authorization: `Bearer ${token}` }
    const code = new URL(serve.loginUrl).searchParams.get('code')
    for (let round = 0; round < ROUNDS; round++) {
      for (const path of ['/v4/health', '/login', `/login?code=${code}`, '/', '/index.html', '/v4/settings']) {
        const refused = await withHost(path, `evil.example:${port}`, bearer)
        expect(refused.status, path).toBe(421)
        expect(JSON.parse(refused.body).error.message).toContain('does not answer to the name "evil.example"')
      }
      expect(await upgradeStatus({ ...bearer, host: `evil.example:${port}` })).toBe(421)
    }
    // (The sign-in code sent with the foreign Host is not spent: the session test below signs in with it.)
    // The names it is really reached by still work.
    expect((await withHost('/v4/health', `localhost:${port}`)).status).toBe(200)
    expect(await upgradeStatus({ ...bearer, host: `127.0.0.1:${port}` })).toBe(101)
    await expectStillServing(probe, bar)
  }, 120_000)

  it('an endpoint that echoes the API key: the key is in no answer, no audit entry and no file of the data folder', async () => {
    const bar = await healthBar(serve.url)
    const probe = probeHealth(serve.url)
    // Of no known key shape: only knowing the value can keep it out.
    const key = `echo-me-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`
    expect((await rest('PUT', '/v4/settings/api-key', { apiKey: key })).status).toBe(200)
    expect((await rest('PATCH', '/v4/settings', { intent: { baseURL: claude.baseURL, maxRetries: 0 } })).status).toBe(200)
    const echo = { handler: (r: { headers: Record<string, unknown> }) => ({ status: 401 as const, message: `invalid x-api-key: ${String(r.headers['x-api-key'])} (check ${String(r.headers['x-api-key'])})` }) }
    const answers: { status: number; text: string }[] = []
    for (let round = 0; round < ROUNDS; round++) {
      claude.reply(echo)
      answers.push(round % 2 ? await rest('POST', '/v4/llm/execute', { text: 'how is web doing?', dryRun: true }) : await rest('POST', '/v4/llm/parse', { text: 'scale web to 3' }))
    }
    expect(claude.requests.filter((r) => r.headers['x-api-key'] === key)).toHaveLength(ROUNDS) // it was sent, and echoed every time
    const parsed = JSON.parse(answers[0]!.text)
    expect(parsed.recogniser).toBe('offline')
    expect(parsed.fallbackReason).toMatch(/HTTP 401: .*\[redacted\]/)
    for (const answer of answers) expect(answer.text).not.toContain(key)
    const audit = await rest('POST', '/v4/audit/query', { limit: 1000 })
    expect(audit.status).toBe(200)
    expect(audit.text).toContain('[redacted]')
    expect(audit.text).not.toContain(key)
    // Every file of the data folder but the one meant to hold the key: database, WAL, logs.
    for (const file of filesUnder(serve.home).filter((f) => !f.endsWith('secrets.json') && statSync(f).size < 64 * 1024 * 1024)) {
      expect(readFileSync(file).includes(key), file).toBe(false)
    }
    await expectStillServing(probe, bar)
  }, 120_000)

  it('refuses a plain http:// model endpoint on another machine, which would send the key in clear', async () => {
    const bar = await healthBar(serve.url)
    const probe = probeHealth(serve.url)
    for (let round = 0; round < ROUNDS; round++) {
      for (const endpoint of ['http://api.example.com', 'http://192.0.2.2:8080/v1', 'http://[fd00::2]:80']) {
        const refused = await rest('PATCH', '/v4/settings', { intent: { baseURL: endpoint } })
        expect(refused.status, endpoint).toBe(400)
        expect(JSON.parse(refused.text).error.message).toContain('would send the API key in clear')
      }
    }
    expect(JSON.parse((await rest('GET', '/v4/settings')).text).intent.baseURL).toBe(claude.baseURL)
    expect((await rest('PATCH', '/v4/settings', { intent: { baseURL: 'https://api.example.com' } })).status).toBe(200)
    await expectStillServing(probe, bar)
  }, 120_000)

  it('an idle sign-in session is over: the page sends to /login, the WebSocket gets 401', async () => {
    const bar = await healthBar(serve.url)
    const probe = probeHealth(serve.url)
    const signIn = await fetch(serve.loginUrl, { redirect: 'manual' })
    expect(signIn.status).toBe(302)
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!
    const origin = serve.url.replace(/\/$/, '')
    expect(await upgradeStatus({ cookie, origin })).toBe(101)
    await new Promise((r) => setTimeout(r, IDLE_MINUTES * 60_000 + 2_000))
    const page = await fetch(serve.url, { headers: { cookie }, redirect: 'manual' })
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/login')
    expect(await upgradeStatus({ cookie, origin })).toBe(401)
    await expectStillServing(probe, bar)
  }, 120_000)

  it('a closed terminal tab takes its background and nohup children with it, and so does a dropped client', async () => {
    const bar = await healthBar(serve.url)
    const probe = probeHealth(serve.url)
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v4/stream`, { headers: { authorization: `Bearer ${token}` } })
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
    let output = ''
    let nextId = 1
    const pending = new Map<number, (m: { type: string; result?: any; error?: unknown }) => void>()
    socket.on('message', (raw) => {
      const m = JSON.parse(raw.toString())
      if (m.type === 'event' && m.event === 'terminal:data') output += m.data.data
      if (m.id && pending.has(m.id)) pending.get(m.id)!(m)
    })
    const call = (s: WebSocket, method: string, input: unknown) =>
      new Promise<any>((resolve, reject) => {
        const id = nextId++
        pending.set(id, (m) => (m.type === 'result' ? resolve(m.result) : reject(new Error(JSON.stringify(m.error)))))
        s.send(JSON.stringify({ id, method, input }))
      })
    const childrenOf = async (s: WebSocket, tab: string, tag: string) => {
      await call(s, 'terminal.write', { id: tab, data: `sleep 1000 & echo "${tag}bg=$!"; nohup sleep 1001 >/dev/null 2>&1 & echo "${tag}nohup=$!"\r` })
      await eventually(() => new RegExp(`${tag}nohup=\\d+`).test(output), `${tag}: the children’s pids`)
      return ['bg', 'nohup'].map((name) => Number(new RegExp(`${tag}${name}=(\\d+)`).exec(output)![1]))
    }

    const tab = await call(socket, 'terminal.open', { cols: 80, rows: 24 })
    const closedTab = await childrenOf(socket, tab.id, 'a')
    expect(closedTab.every(running)).toBe(true)
    await call(socket, 'terminal.close', { id: tab.id })
    await eventually(() => !closedTab.some(running), 'the closed tab’s children to end')

    const other = await call(socket, 'terminal.open', { cols: 80, rows: 24 })
    const droppedTab = await childrenOf(socket, other.id, 'b')
    expect(droppedTab.every(running)).toBe(true)
    socket.close()
    await eventually(() => !droppedTab.some(running) && !running(other.pid), 'the dropped client’s tab and children to end')
    await expectStillServing(probe, bar)
  }, 180_000)
})
