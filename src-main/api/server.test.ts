import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createHost, type Host } from '../host'
import { tempHome } from '../testing/home'
import { startServer, type RunningServer } from './server'

let host: Host
let server: RunningServer
afterEach(async () => {
  await server?.close()
  await host?.close()
})

async function start(rendererDir = '/nonexistent'): Promise<{ home: string; base: string; auth: Record<string, string> }> {
  const home = tempHome()
  host = createHost({ home, shell: 'test' })
  server = await startServer(host, { port: 0, rendererDir })
  return { home, base: server.url.replace(/\/$/, ''), auth: { authorization: `Bearer ${server.token}` } }
}

function openSocket(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers })
    socket.once('open', () => resolve(socket))
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    socket.once('error', reject)
  })
}

function rpc(socket: WebSocket, id: number, method: string, input?: unknown): Promise<any> {
  return new Promise((resolve) => {
    const onMessage = (raw: WebSocket.RawData) => {
      const message = JSON.parse(raw.toString())
      if (message.id === id) {
        socket.off('message', onMessage)
        resolve(message)
      }
    }
    socket.on('message', onMessage)
    socket.send(JSON.stringify({ id, method, input }))
  })
}

describe('dwcp serve: REST', () => {
  it('answers /v4/health without a token, with product and protocol versions', async () => {
    const { base } = await start()
    const response = await fetch(`${base}/v4/health`)
    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body).toMatchObject({ status: 'ok', product: 'DWCP Console', protocolVersions: ['4.0.0', '3.0.0'] })
    expect(body.version).toBe(JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).version)
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'")
  })

  it('demands the bearer token on every other route', async () => {
    const { base, auth } = await start()
    expect((await fetch(`${base}/v4/system/info`)).status).toBe(401)
    expect((await fetch(`${base}/v4/system/info`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
    const ok = await fetch(`${base}/v4/system/info`, { headers: auth })
    expect(ok.status).toBe(200)
    const engines = (await ok.json()).engines as { id: string; ready: boolean }[]
    expect(engines.every((e) => e.ready)).toBe(true)
  })

  it('runs WebAssembly over REST and serves the pool’s figures, also to Prometheus', async () => {
    const { base, auth } = await start()
    const post = (body: unknown) => fetch(`${base}/v4/wasm/execute`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const ran = await post({ module: { builtin: 'http' }, inputText: 'GET /fleet HTTP/1.1\r\n\r\n', tenant: 'rest' })
    expect(ran.status).toBe(200)
    expect((await ran.json()).outputText).toContain('hello from wasm: /fleet')

    const escape = await post({ module: { builtin: 'trivial' }, wasi: { preopens: { '/etc': '/etc' } }, tenant: 'rest' })
    expect(escape.status).toBe(403)
    expect((await escape.json()).error.message).toMatch(/only see folders in .*wasm\/files\/rest/)
    const hostile = await post({ module: { base64: Buffer.from('not wasm').toString('base64') }, invoke: 'f' })
    expect(hostile.status).toBe(400)
    expect((await hostile.json()).error.message).toMatch(/not a WebAssembly binary/)

    const metrics = await (await fetch(`${base}/v4/wasm/metrics`, { headers: auth })).json()
    expect(metrics.coldCalls).toBe(1)
    expect(metrics.tenants).toContainEqual(expect.objectContaining({ name: 'rest', calls: 1 }))
    expect((await fetch(`${base}/metrics`)).status).toBe(401)
    const scraped = await (await fetch(`${base}/metrics`, { headers: auth })).text()
    expect(scraped).toMatch(/dwcp_wasm_calls_total\{start="cold",outcome="ok"\} 1/)
    expect(scraped).toMatch(/dwcp_wasm_active_instances 1/)
  })

  it('answers 404 for an unknown route and 400 with zod issues for a bad body, writing nothing', async () => {
    const { base, auth } = await start()
    const missing = await fetch(`${base}/v4/no/such/thing`, { headers: auth })
    expect(missing.status).toBe(404)
    expect((await missing.json()).error.code).toBe('not_found')

    const bad = await fetch(`${base}/v4/settings`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ theme: 'purple' }),
    })
    expect(bad.status).toBe(400)
    const body = await bad.json()
    expect(body.error.code).toBe('bad_request')
    expect(body.error.issues[0].path).toBe('theme')
    expect(host.settings.view().theme).toBe('system')

    const malformed = await fetch(`${base}/v4/settings`, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/json' }, body: '{"theme":' })
    expect(malformed.status).toBe(400)

    const good = await fetch(`${base}/v4/settings`, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/json' }, body: '{"theme":"dark"}' })
    expect((await good.json()).theme).toBe('dark')
  })

  it('stores the API key without ever returning it or writing it to the log', async () => {
    const { home, base, auth } = await start()
    const key = 'sk-ant-api03-' + 'x'.repeat(40)
    const put = await fetch(`${base}/v4/settings/api-key`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: key }) })
    const text = await put.text()
    expect(put.status).toBe(200)
    expect(JSON.parse(text).hasApiKey).toBe(true)
    expect(text).not.toContain(key)
    await host.close()
    expect(readFileSync(join(home, 'logs', 'dwcp.log'), 'utf8')).not.toContain(key)
  })
})

describe('dwcp serve: WebSocket /v4/stream', () => {
  it('runs calls of the contract and reports schema errors without running them', async () => {
    const { base, auth } = await start()
    const socket = await openSocket(`${base.replace('http', 'ws')}/v4/stream`, auth)
    const health = await rpc(socket, 1, 'system.health', {})
    expect(health).toMatchObject({ type: 'result', id: 1, result: { status: 'ok' } })
    const bad = await rpc(socket, 2, 'settings.update', { theme: 42 })
    expect(bad).toMatchObject({ type: 'error', id: 2, error: { code: 'bad_request' } })
    const unknown = await rpc(socket, 3, 'nope.nothing', {})
    expect(unknown.error.code).toBe('not_found')
    socket.close()
  })

  it('refuses a socket without a token or a signed-in browser session', async () => {
    const { base } = await start()
    await expect(openSocket(`${base.replace('http', 'ws')}/v4/stream`, {})).rejects.toThrow('HTTP 401')
  })

  it('signs a browser in once per one-time link, and only from the same origin', async () => {
    const { base } = await start()
    const link = server.loginUrl()
    const first = await fetch(link, { redirect: 'manual' })
    expect(first.status).toBe(302)
    const cookie = first.headers.get('set-cookie')!.split(';')[0]
    expect(first.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/)
    const again = await fetch(link, { redirect: 'manual' })
    expect(again.status).toBe(401)

    const ws = `${base.replace('http', 'ws')}/v4/stream`
    const socket = await openSocket(ws, { cookie, origin: base })
    expect((await rpc(socket, 1, 'system.health')).type).toBe('result')
    socket.close()
    await expect(openSocket(ws, { cookie, origin: 'http://evil.example' })).rejects.toThrow('HTTP 401')
  })

  it('sends the sign-in page to a browser without a session', async () => {
    const { base } = await start()
    const response = await fetch(`${base}/`, { redirect: 'manual' })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/login')
    const page = await (await fetch(`${base}/login`)).text()
    expect(page).toContain('API token')
  })
})
