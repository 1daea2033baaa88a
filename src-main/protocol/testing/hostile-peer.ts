/**
 * For tests only: a peer that breaks the rules on purpose, with the real codec. It sends request
 * frames whose body no honest peer would send, and replays a captured hello on fresh connections.
 */
import { connect } from 'node:net'
import { decodeFrame, frameLength, messageTypeName } from '../frame'
import { PlainV4Framing, type LinkMessage } from '../framing'
import type { Link } from '../link'

/** The parts of a Link a hostile peer drives directly (they are private to honest code). */
interface LinkInternals {
  takeId(): number
  send(m: LinkMessage): void
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; method: string }>
}

export interface RawAnswer {
  failed: boolean
  body: unknown
}

/**
 * Send one `request` frame whose payload is `body` as it is (not wrapped in `{method, payload}`),
 * sealed like any other frame of the link, and wait for the answer to its id.
 */
export function rawRequest(link: Link, body: Uint8Array, timeoutMs = 5000): Promise<RawAnswer> {
  const l = link as unknown as LinkInternals
  const id = l.takeId()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      l.pending.delete(id)
      reject(new Error(`no answer to the raw request within ${timeoutMs} ms`))
    }, timeoutMs)
    l.pending.set(id, {
      resolve: (value) => resolve({ failed: false, body: value }),
      // The link turns a failed answer into an Error; keep its text for the test.
      reject: (err) => resolve({ failed: true, body: err.message }),
      timer,
      method: 'raw',
    })
    l.send({ type: 'request', requestId: id, flags: 0, payload: body })
  })
}

/** Send a frame of any type on the link, as a hostile peer would. */
export function rawSend(link: Link, m: LinkMessage): void {
  ;(link as unknown as LinkInternals).send(m)
}

export interface HelloAnswer {
  /** `helloReply` (the console did the work and signed or confirmed), `error`, or `none` (closed without a frame). */
  type: string
  /** The refusal's code and message, for an `error`. */
  code?: string
  message?: string
}

/** Open a connection, send `helloPayload` as a v4 hello, and report what the console answered. */
export function sendHello(host: string, port: number, helloPayload: Uint8Array, timeoutMs = 15_000): Promise<HelloAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let buffer = Buffer.alloc(0)
    let done = false
    const finish = (answer: HelloAnswer) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(answer)
    }
    const timer = setTimeout(() => finish({ type: 'none', message: 'timed out' }), timeoutMs)
    socket.on('connect', () => {
      for (const b of new PlainV4Framing().encode({ type: 'hello', requestId: 0, flags: 0, payload: helloPayload })) socket.write(b)
    })
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      const total = frameLength(buffer)
      if (total === undefined || buffer.length < total) return
      const frame = decodeFrame(buffer.subarray(0, total))
      const name = messageTypeName(frame.type) ?? String(frame.type)
      if (name !== 'error') return finish({ type: name })
      const body = JSON.parse(Buffer.from(frame.payload).toString('utf8')) as { code?: string; message?: string }
      finish({ type: 'error', ...(body.code ? { code: body.code } : {}), ...(body.message ? { message: body.message } : {}) })
    })
    socket.on('error', () => finish({ type: 'none', message: 'connection error' }))
    socket.on('close', () => finish({ type: 'none', message: 'closed' }))
  })
}
