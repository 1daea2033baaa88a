/**
 * Hardening of `dwcp serve` against hostile pages and endpoints: DNS rebinding (the Host allow-list),
 * sign-in sessions that end when left idle, and secrets kept out of every error a client or the
 * audit log sees, even when a model endpoint echoes the key it was sent.
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname, networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { rememberSecret } from '../redact'
import { createHost, type Host } from '../host'
import { startAnthropicServer, type AnthropicTestServer } from '../testing/anthropic-server'
import { tempHome } from '../testing/home'
import { BrowserSessions } from './auth'
import { ApiError } from './errors'
import { allowedHostNames, hostHeaderName, hostRefusal } from './hosts'
import { startServer, type RunningServer } from './server'

let host: Host | undefined
let server: RunningServer | undefined
let claude: AnthropicTestServer | undefined
let other: Server | undefined
afterEach(async () => {
  await server?.close()
  await host?.close()
  await claude?.close()
  await new Promise((r) => (other ? other.close(r) : r(null)))
  host = server = claude = other = undefined
})

async function start(options: { allowHosts?: string[]; sessionIdleMs?: number } = {}) {
  const home = tempHome()
  host = createHost({ home, shell: 'test' })
  server = await startServer(host, { port: 0, rendererDir: '/nonexistent', ...options })
  const base = server.url.replace(/\/$/, '')
  const auth = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, { method, headers: auth, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    return { status: res.status, text: await res.text() }
  }
  return { home, base, port: Number(new URL(base).port), send }
}

/** fetch() will not let a caller set Host; a rebinding browser sends the attacker's name there. */
function getWithHost(port: number, path: string, hostHeader: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { ...headers, host: hostHeader } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

function socketStatus(port: number, hostHeader: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v4/stream`, { headers: { ...headers, host: hostHeader } })
    socket.once('open', () => {
      socket.close()
      resolve(101)
    })
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    socket.once('error', reject)
  })
}

describe('Host allow-list (DNS rebinding)', () => {
  it('reads the name out of a Host header, and refuses what it cannot read', () => {
    expect(hostHeaderName('127.0.0.1:8080')).toBe('127.0.0.1')
    expect(hostHeaderName('[::1]:8080')).toBe('::1')
    expect(hostHeaderName('LocalHost.')).toBe('localhost')
    expect(hostHeaderName('a:b:c')).toBe('')
    expect(hostRefusal(undefined, allowedHostNames('127.0.0.1'))).toMatch(/no readable Host/)
  })

  it('answers loopback names only when listening on loopback, and the machine’s own names on a wildcard', () => {
    const loopback = allowedHostNames('127.0.0.1')
    expect([...loopback].sort()).toEqual(['127.0.0.1', '::1', 'localhost'])
    const wildcard = allowedHostNames('0.0.0.0', ['console.example'])
    expect(wildcard.has(hostname().toLowerCase())).toBe(true)
    const nic = Object.values(networkInterfaces()).flat().find((n) => n && !n.internal)
    if (nic) expect(wildcard.has(nic.address.toLowerCase())).toBe(true)
    expect(wildcard.has('console.example')).toBe(true)
    expect(wildcard.has('0.0.0.0')).toBe(false)
    expect(hostRefusal('evil.example', wildcard)).toMatch(/--allow-host evil\.example/)
  })

  it('refuses a foreign Host on every route — health, sign-in, pages, WebSocket — and answers the allowed ones', async () => {
    const { port } = await start({ allowHosts: ['console.example'] })
    const auth = { authorization: `Bearer ${server!.token}` }
    for (const path of ['/v4/health', '/login', '/', '/index.html', '/v4/system/info']) {
      const refused = await getWithHost(port, path, `evil.example:${port}`, auth)
      expect(refused.status, path).toBe(421)
      expect(JSON.parse(refused.body).error.message).toMatch(/does not answer to the name "evil.example"/)
    }
    expect(await socketStatus(port, `evil.example:${port}`, auth)).toBe(421)
    for (const name of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'console.example']) {
      expect((await getWithHost(port, '/v4/health', name)).status, name).toBe(200)
    }
    expect(await socketStatus(port, `localhost:${port}`, auth)).toBe(101)
  })
})

describe('browser sessions', () => {
  it('end after the idle time, and every use restarts the clock', () => {
    let now = 0
    const sessions = new BrowserSessions({ idleMs: 1000, now: () => now })
    const id = sessions.newSession()
    for (let i = 0; i < 5; i++) {
      now += 900
      expect(sessions.isSession(id)).toBe(true)
    }
    now += 1001
    expect(sessions.isSession(id)).toBe(false)
    now += 1
    expect(sessions.isSession(id)).toBe(false) // gone for good, not revived
  })

  it('keep at most so many sessions and unspent codes, dropping the least recently used', () => {
    const sessions = new BrowserSessions({ maxSessions: 3, maxCodes: 2 })
    const [a, b, c] = [sessions.newSession(), sessions.newSession(), sessions.newSession()]
    expect(sessions.isSession(a)).toBe(true) // a is now the most recently used
    sessions.newSession()
    expect(sessions.isSession(b)).toBe(false)
    expect(sessions.isSession(a) && sessions.isSession(c)).toBe(true)
    const codes = Array.from({ length: 50 }, () => sessions.newLoginCode())
    expect(sessions.size.codes).toBe(2)
    expect(sessions.redeem(codes[0]!)).toBeNull()
    expect(sessions.redeem(codes[49]!)).not.toBeNull()
    expect(sessions.size.sessions).toBe(3)
  })

  it('an idle session is refused by the server: the page sends to /login, the socket gets 401', async () => {
    const { base } = await start({ sessionIdleMs: 300 })
    const signIn = await fetch(server!.loginUrl(), { redirect: 'manual' })
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!
    expect((await fetch(`${base}/`, { headers: { cookie }, redirect: 'manual' })).status).toBe(503) // signed in (no UI built here)
    await new Promise((r) => setTimeout(r, 600))
    const after = await fetch(`${base}/`, { headers: { cookie }, redirect: 'manual' })
    expect(after.status).toBe(302)
    expect(after.headers.get('location')).toBe('/login')
    const port = Number(new URL(base).port)
    expect(await socketStatus(port, `127.0.0.1:${port}`, { cookie, origin: base })).toBe(401)
  })
})

describe('secrets in errors', () => {
  it('an ApiError never carries a known secret, in its message or its issues', () => {
    const secret = `tok-${randomBytes(16).toString('hex')}`
    rememberSecret(secret)
    const body = new ApiError('internal', `upstream said: bad key ${secret}`, [{ path: 'apiKey', message: `got ${secret}` }]).toBody()
    expect(JSON.stringify(body)).not.toContain(secret)
    expect(body.error.message).toBe('upstream said: bad key [redacted]')
  })

  it('an endpoint that echoes the key: the key is in no answer, no audit entry and no log line', async () => {
    const { home, send } = await start()
    claude = await startAnthropicServer()
    // Not of any known key shape: only knowing the value can catch it.
    const key = `key-${randomBytes(20).toString('hex')}`
    expect((await send('PUT', '/v4/settings/api-key', { apiKey: key })).status).toBe(200)
    expect((await send('PATCH', '/v4/settings', { intent: { baseURL: claude.baseURL, maxRetries: 0 } })).status).toBe(200)
    const echo = { handler: (r: { headers: Record<string, unknown> }) => ({ status: 401 as const, message: `invalid x-api-key: ${String(r.headers['x-api-key'])}` }) }
    claude.reply(echo)
    const parsed = await send('POST', '/v4/llm/parse', { text: 'scale web to 3' })
    expect(claude.requests.at(-1)?.headers['x-api-key']).toBe(key) // the endpoint did get it, and echoed it
    expect(parsed.status).toBe(200)
    expect(JSON.parse(parsed.text).fallbackReason).toMatch(/HTTP 401.*\[redacted\]/)
    expect(parsed.text).not.toContain(key)
    const audit = await send('POST', '/v4/audit/query', { limit: 1000 })
    expect(audit.text).toContain('intent.parse')
    expect(audit.text).not.toContain(key)
    for (const file of readdirSync(join(home, 'logs'))) expect(readFileSync(join(home, 'logs', file), 'utf8')).not.toContain(key)
  })
})

describe('model endpoint', () => {
  it('refuses plain http:// off this machine when set, with a clear message, and keeps the previous value', async () => {
    const { send } = await start()
    expect((await send('PATCH', '/v4/settings', { intent: { baseURL: 'https://proxy.example/v1' } })).status).toBe(200)
    const refused = await send('PATCH', '/v4/settings', { intent: { baseURL: 'http://proxy.example:8080', maxReplicas: 7 } })
    expect(refused.status).toBe(400)
    expect(JSON.parse(refused.text).error.message).toMatch(/plain http:\/\/ on another machine.*API key in clear/)
    const kept = JSON.parse((await send('GET', '/v4/settings')).text)
    expect(kept.intent.baseURL).toBe('https://proxy.example/v1')
    expect(kept.intent.maxReplicas).not.toBe(7)
    for (const local of ['http://127.0.0.1:9999', 'http://127.8.0.1', 'http://localhost:1234/v1', 'http://[::1]:8080']) {
      expect((await send('PATCH', '/v4/settings', { intent: { baseURL: local } })).status, local).toBe(200)
    }
    expect((await send('PATCH', '/v4/settings', { intent: { baseURL: 'ftp://127.0.0.1' } })).status).toBe(400)
  })

  it('refuses it again at call time (a value stored before the rule): nothing is sent, the offline parser answers', async () => {
    const nic = Object.values(networkInterfaces()).flat().find((n) => n && !n.internal && n.family === 'IPv4')
    if (!nic) return // no network address on this machine to stand for another one
    const { send } = await start()
    const received: string[] = []
    other = createServer((req, res) => {
      received.push(String(req.headers['x-api-key']))
      res.writeHead(500).end()
    })
    await new Promise<void>((r) => other!.listen(0, '0.0.0.0', r))
    const endpoint = `http://${nic.address}:${(other.address() as AddressInfo).port}`
    expect((await send('PUT', '/v4/settings/api-key', { apiKey: `key-${randomBytes(20).toString('hex')}` })).status).toBe(200)
    host!.store.db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('intent', ?, '') ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(JSON.stringify({ baseURL: endpoint, maxRetries: 0 }))
    const parsed = JSON.parse((await send('POST', '/v4/llm/parse', { text: 'scale web to 3' })).text)
    expect(parsed.recogniser).toBe('offline')
    expect(parsed.fallbackReason).toMatch(/plain http:\/\/ on another machine/)
    expect(received).toEqual([])
  })
})
