/**
 * `dwcp serve`: the host over HTTP and WebSocket, plus the built renderer for the browser UI.
 * Routes are generated from the contract; nothing here knows what a call does.
 */
import fastifyStatic from '@fastify/static'
import fastifyWebsocket from '@fastify/websocket'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseQuery } from 'node:querystring'
import type { WebSocket } from 'ws'
import type { Host } from '../host'
import { BrowserSessions, loadOrCreateToken, readCookie, sameSecret, SESSION_COOKIE, sessionCookie } from './auth'
import { allowedHostNames, hostRefusal } from './hosts'
import { HTTP_STATUS, MAX_BUNDLE_BASE64_CHARS, methodNames, methods, WsRequest, type EventName, type WsResponse } from './contract'
import type { CallContext } from './dispatch'
import { ApiError, toApiError } from './errors'
import { loginPage, notBuiltPage } from './pages'
import { PRODUCT_NAME, PRODUCT_VERSION } from '../version'

/** The renderer's content security policy: our own scripts only, no remote content of any kind. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // xterm.js and React set element styles at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

export interface ServerOptions {
  host?: string
  port?: number
  /** Folder of the built renderer (out/renderer). */
  rendererDir: string
  /** Host names answered besides the listen address and loopback (`dwcp serve --allow-host`). */
  allowHosts?: string[]
  /** A browser session unused this long ends (default 12 h). */
  sessionIdleMs?: number
}

export interface RunningServer {
  url: string
  /** A fresh one-time sign-in link for a browser. */
  loginUrl(): string
  token: string
  app: FastifyInstance
  close(): Promise<void>
}

export async function startServer(host: Host, options: ServerOptions): Promise<RunningServer> {
  const token = loadOrCreateToken(host.home)
  const sessions = new BrowserSessions({ ...(options.sessionIdleMs ? { idleMs: options.sessionIdleMs } : {}) })
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 })
  const allowedHosts = allowedHostNames(options.host ?? '127.0.0.1', options.allowHosts)

  // First of all hooks, so no route (health, sign-in, files, the WebSocket upgrade) answers a rebound name.
  app.addHook('onRequest', async (req, reply) => {
    const refusal = hostRefusal(req.headers.host, allowedHosts)
    if (!refusal) return
    // A refused WebSocket upgrade is answered on its raw socket, which nothing else would close.
    if (req.headers.upgrade) reply.raw.once('finish', () => req.raw.socket?.destroy())
    return reply.status(421).header('connection', 'close').send(new ApiError('forbidden', refusal).toBody())
  })

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseQuery(body as string))
  })
  app.addHook('onSend', async (_req, reply) => {
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    reply.header('X-Content-Type-Options', 'nosniff')
    reply.header('Referrer-Policy', 'no-referrer')
    reply.header('Cross-Origin-Opener-Policy', 'same-origin')
  })
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof ApiError) {
      if (err.retryAfterSeconds) void reply.header('retry-after', String(err.retryAfterSeconds))
      return reply.status(HTTP_STATUS[err.code]).send(err.toBody())
    }
    // Fastify's own 4xx: malformed JSON, a body over the limit, a wrong content type.
    const status = err.statusCode ?? 500
    if (status < 500) return reply.status(status).send(new ApiError('bad_request', err.message).toBody())
    return reply.status(500).send(toApiError(err).toBody())
  })
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(new ApiError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`).toBody())
  })

  const bearerOk = (req: FastifyRequest) => {
    const header = req.headers.authorization
    return !!header && header.startsWith('Bearer ') && sameSecret(header.slice(7).trim(), token)
  }

  registerRestRoutes(app, host, bearerOk)
  // Prometheus scrapes with the same bearer token (authorization.credentials in its scrape config).
  app.get('/metrics', async (req, reply) => {
    if (!bearerOk(req)) return reply.status(401).send(new ApiError('unauthorized', 'send Authorization: Bearer <token>').toBody())
    return reply.header('content-type', host.metrics.contentType).send(await host.metrics.metrics())
  })
  await registerStream(app, host, { bearerOk, sessions })
  await registerBrowserUi(app, options.rendererDir, { token, sessions })

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('the server did not get a TCP address')
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${hostPart}:${address.port}/`
  return {
    url,
    token,
    app,
    loginUrl: () => `${url}login?code=${sessions.newLoginCode()}`,
    close: () => app.close(),
  }
}

function registerRestRoutes(app: FastifyInstance, host: Host, bearerOk: (req: FastifyRequest) => boolean): void {
  const httpClient = `http-${randomBytes(4).toString('hex')}`
  const ctx: CallContext = { clientId: httpClient, transport: 'http', emit: () => {} }
  for (const name of methodNames) {
    const def = methods[name]
    const rest = def.rest
    if (!rest) continue
    app.route({
      method: rest.method,
      url: rest.path,
      ...(def.maxBodyBytes ? { bodyLimit: def.maxBodyBytes } : {}),
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        if (!def.public && !bearerOk(req)) {
          return reply.status(401).send(new ApiError('unauthorized', 'send Authorization: Bearer <token> (the token is printed by `dwcp token`)').toBody())
        }
        const input = rest.method === 'GET' ? { ...(req.query as object) } : (req.body ?? {})
        return await host.call(name, input, ctx)
      },
    })
  }
}

async function registerStream(app: FastifyInstance, host: Host, auth: { bearerOk: (req: FastifyRequest) => boolean; sessions: BrowserSessions }): Promise<void> {
  // Large enough for an audit bundle opened for review from the browser (audit.openBundle).
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_BUNDLE_BASE64_CHARS + 1024 * 1024 } })
  app.get('/v4/stream', {
    websocket: true,
    preValidation: async (req, reply) => {
      if (auth.bearerOk(req)) return
      const session = readCookie(req.headers.cookie, SESSION_COOKIE)
      // A cookie alone is not enough: the page must come from this server (no cross-site socket).
      if (auth.sessions.isSession(session) && sameOrigin(req)) return
      await reply.status(401).send(new ApiError('unauthorized', 'sign in first').toBody())
    },
  }, (socket: WebSocket) => serveSocket(socket, host))
}

function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin
  if (!origin) return false
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}

function serveSocket(socket: WebSocket, host: Host): void {
  const clientId = `ws-${randomBytes(6).toString('hex')}`
  const send = (message: WsResponse) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message))
  }
  const emit = (event: EventName, data: unknown) => send({ type: 'event', event, data })
  const ctx: CallContext = { clientId, transport: 'ws', emit }
  const unsubscribe = host.events.subscribe(emit)
  send({ type: 'hello', product: PRODUCT_NAME, version: PRODUCT_VERSION })

  socket.on('message', async (raw, isBinary) => {
    let request: WsRequest
    try {
      if (isBinary) throw new Error('binary frames are not part of this protocol')
      const parsed = WsRequest.safeParse(JSON.parse(raw.toString()))
      if (!parsed.success) throw ApiError.fromZod('request', parsed.error)
      request = parsed.data
    } catch (err) {
      const apiError = err instanceof ApiError ? err : new ApiError('bad_request', `unreadable request: ${(err as Error).message}`)
      return send({ type: 'error', id: null, error: apiError.toBody().error })
    }
    try {
      const result = await host.call(request.method, request.input, ctx)
      send({ type: 'result', id: request.id, result })
    } catch (err) {
      send({ type: 'error', id: request.id, error: toApiError(err).toBody().error })
    }
  })
  socket.on('close', () => {
    unsubscribe()
    host.dropClient(clientId)
  })
}

async function registerBrowserUi(app: FastifyInstance, rendererDir: string, auth: { token: string; sessions: BrowserSessions }): Promise<void> {
  const indexFile = join(rendererDir, 'index.html')
  const built = existsSync(indexFile)
  const signedIn = (req: FastifyRequest) => auth.sessions.isSession(readCookie(req.headers.cookie, SESSION_COOKIE))
  const html = (reply: FastifyReply, status: number, body: string) => reply.status(status).type('text/html; charset=utf-8').send(body)

  app.get('/', async (req, reply) => {
    if (!signedIn(req)) return reply.redirect('/login')
    if (!built) return html(reply, 503, notBuiltPage())
    return html(reply, 200, readFileSync(indexFile, 'utf8'))
  })
  app.get('/login', async (req, reply) => {
    const code = (req.query as Record<string, unknown>).code
    if (typeof code === 'string') {
      const session = auth.sessions.redeem(code)
      if (!session) return html(reply, 401, loginPage('This sign-in link was already used or has expired. Paste the API token instead (`dwcp token` prints it).'))
      return reply.header('Set-Cookie', sessionCookie(session)).redirect('/')
    }
    return html(reply, 200, loginPage())
  })
  app.post('/login', async (req, reply) => {
    const given = (req.body as Record<string, unknown> | undefined)?.token
    if (typeof given !== 'string' || !sameSecret(given.trim(), auth.token)) {
      return html(reply, 401, loginPage('That is not the API token of this installation.'))
    }
    return reply.header('Set-Cookie', sessionCookie(auth.sessions.newSession())).redirect('/')
  })
  if (built) {
    await app.register(fastifyStatic, { root: rendererDir, index: false, wildcard: false, prefix: '/' })
  }
}
