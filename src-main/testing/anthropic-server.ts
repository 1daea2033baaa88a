// A local stand-in for the Anthropic Messages API, for tests only. Tests must never reach the
// internet, yet the code that talks to Claude should be exercised through the real
// @anthropic-ai/sdk: pointed here with its `baseURL` option, the SDK gets the same wire format it
// gets from the real service (JSON messages, SSE streams, error bodies, retry-after), answered from
// replies the test scripts in advance. Every request is recorded so tests can check what was sent.

import { randomBytes } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type ErrorStatus = 400 | 401 | 429 | 500 | 529

/** What the server answers to the next valid `POST /v1/messages`. */
export type ScriptedReply =
  /** `pieceDelayMs`: streamed requests get their input_json_delta pieces this far apart (to watch a UI follow). */
  | { toolUse: { name: string; input: object }; pieceDelayMs?: number }
  | { text: string }
  | { status: ErrorStatus; errorType?: string; message?: string; retryAfterSeconds?: number }
  /** Streamed requests: the stream starts a tool_use block, sends `afterJson` as its input, then an error event. */
  | { streamError: { errorType: string; message: string }; afterJson?: string }
  | { handler: (request: MessagesRequest) => ScriptedReply | Promise<ScriptedReply> }

export interface RecordedRequest {
  method: string
  /** The request target as sent, query string included. */
  path: string
  headers: IncomingHttpHeaders
  /** The body parsed as JSON, or its raw text when it is not JSON. */
  body: unknown
}

/** The fields every valid Messages request has; the others (system, tools, tool_choice…) stay as sent. */
export interface MessagesRequestBody {
  model: string
  max_tokens: number
  messages: unknown[]
  stream?: boolean
  [field: string]: unknown
}

/** A request that passed validation, as a `handler` reply sees it. */
export interface MessagesRequest {
  headers: IncomingHttpHeaders
  body: MessagesRequestBody
}

export interface AnthropicTestServer {
  /** Give this to the SDK as `baseURL`, e.g. `http://127.0.0.1:40123`. */
  baseURL: string
  requests: RecordedRequest[]
  /** Queue the answer to the next valid request. */
  reply(reply: ScriptedReply): void
  close(): Promise<void>
}

type ContentBlock = { type: 'tool_use'; id: string; name: string; input: object } | { type: 'text'; text: string }
type StopReason = 'tool_use' | 'end_turn'

const ERROR_TYPE: Record<ErrorStatus, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
}

const DEFAULT_ERROR_MESSAGE: Record<ErrorStatus, string> = {
  400: 'Invalid request.',
  401: 'Invalid API key.',
  429: 'Rate limit exceeded, try again later.',
  500: 'Internal server error.',
  529: 'Overloaded.',
}

const STATUS_OF_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
}

export async function startAnthropicServer(): Promise<AnthropicTestServer> {
  const queue: ScriptedReply[] = []
  const requests: RecordedRequest[] = []

  const server = createServer((req, res) => {
    answer(req, res, queue, requests).catch((error: unknown) => {
      if (res.headersSent) res.destroy()
      else sendError(res, 500, 'api_error', `test server failure: ${String(error)}`)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    reply: (reply) => void queue.push(reply),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

async function answer(req: IncomingMessage, res: ServerResponse, queue: ScriptedReply[], requests: RecordedRequest[]): Promise<void> {
  const text = await readText(req)
  const body = parseJson(text)
  const path = req.url ?? '/'
  requests.push({ method: req.method ?? '', path, headers: req.headers, body })

  if (req.method !== 'POST' || new URL(path, 'http://localhost').pathname !== '/v1/messages') {
    return sendError(res, 404, 'not_found_error', `Not found: ${req.method} ${path}`)
  }
  if (!req.headers['x-api-key']) return sendError(res, 401, 'authentication_error', 'x-api-key header is required')
  if (!req.headers['anthropic-version']) {
    return sendError(res, 400, 'invalid_request_error', 'anthropic-version header is required')
  }
  const problem = bodyProblem(body)
  if (problem) return sendError(res, 400, 'invalid_request_error', problem)

  const request: MessagesRequest = { headers: req.headers, body: body as MessagesRequestBody }
  const streamed = request.body.stream === true
  let reply = queue.shift()
  while (reply && 'handler' in reply) reply = await reply.handler(request)
  if (!reply) return sendError(res, 500, 'api_error', 'no scripted reply')

  if ('status' in reply) {
    const headers: Record<string, string> = {}
    if (reply.retryAfterSeconds !== undefined) headers['retry-after'] = String(reply.retryAfterSeconds)
    const type = reply.errorType ?? ERROR_TYPE[reply.status]
    return sendError(res, reply.status, type, reply.message ?? DEFAULT_ERROR_MESSAGE[reply.status], headers)
  }
  if ('streamError' in reply) {
    const { errorType, message } = reply.streamError
    if (!streamed) return sendError(res, STATUS_OF_ERROR_TYPE[errorType] ?? 500, errorType, message)
    return streamBrokenToolUse(res, request, reply.afterJson ?? '{"reason": "cut sho', reply.streamError)
  }

  const block: ContentBlock =
    'toolUse' in reply
      ? { type: 'tool_use', id: newId('toolu_'), name: reply.toolUse.name, input: reply.toolUse.input }
      : { type: 'text', text: reply.text }
  const stopReason: StopReason = block.type === 'tool_use' ? 'tool_use' : 'end_turn'
  if (streamed) return streamMessage(res, request, block, stopReason, 'toolUse' in reply ? (reply.pieceDelayMs ?? 0) : 0)
  sendJson(res, 200, {
    id: newId('msg_'),
    type: 'message',
    role: 'assistant',
    model: request.body.model,
    content: [block],
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: inputTokens(request), output_tokens: outputTokens(block) },
  })
}

/** Why the real API would refuse this body, or null when it is acceptable. */
function bodyProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'The request body must be a JSON object.'
  const fields = body as Record<string, unknown>
  if (typeof fields.model !== 'string' || fields.model === '') return 'model: a non-empty string is required'
  const maxTokens = fields.max_tokens
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    return 'max_tokens: a positive integer is required'
  }
  if (!Array.isArray(fields.messages) || fields.messages.length === 0) {
    return 'messages: a non-empty array is required'
  }
  if (fields.stream !== undefined && typeof fields.stream !== 'boolean') return 'stream: must be a boolean'
  return null
}

// --- Streaming (SSE) ---

async function streamMessage(res: ServerResponse, request: MessagesRequest, block: ContentBlock, stopReason: StopReason, pieceDelayMs = 0): Promise<void> {
  openStream(res, request)
  writeEvent(res, { type: 'content_block_start', index: 0, content_block: block.type === 'tool_use' ? { ...block, input: {} } : { type: 'text', text: '' } })
  writeEvent(res, { type: 'ping' })
  if (block.type === 'tool_use') {
    for (const piece of pieces(JSON.stringify(block.input))) {
      if (pieceDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, pieceDelayMs))
      writeEvent(res, { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: piece } })
    }
  } else {
    for (const piece of pieces(block.text)) writeEvent(res, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } })
  }
  writeEvent(res, { type: 'content_block_stop', index: 0 })
  writeEvent(res, {
    type: 'message_delta',
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: outputTokens(block) },
  })
  writeEvent(res, { type: 'message_stop' })
  res.end()
}

function streamBrokenToolUse(
  res: ServerResponse,
  request: MessagesRequest,
  partialJson: string,
  error: { errorType: string; message: string },
): void {
  openStream(res, request)
  const block = { type: 'tool_use', id: newId('toolu_'), name: toolNameOf(request), input: {} }
  writeEvent(res, { type: 'content_block_start', index: 0, content_block: block })
  writeEvent(res, { type: 'ping' })
  for (const piece of pieces(partialJson)) {
    writeEvent(res, { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: piece } })
  }
  writeEvent(res, { type: 'error', error: { type: error.errorType, message: error.message } })
  res.end()
}

function openStream(res: ServerResponse, request: MessagesRequest): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': newId('req_'),
  })
  const message = {
    id: newId('msg_'),
    type: 'message',
    role: 'assistant',
    model: request.body.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: inputTokens(request), output_tokens: 1 },
  }
  writeEvent(res, { type: 'message_start', message })
}

/** One SSE event, named after its payload's `type`, as the SDK dispatches on the event name. */
function writeEvent(res: ServerResponse, data: { type: string; [field: string]: unknown }): void {
  res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`)
}

/** Cuts text into up to 4 pieces (at least 3 when it has 3 characters), never inside a character. */
function pieces(text: string): string[] {
  const chars = Array.from(text)
  const count = Math.min(4, chars.length)
  const result: string[] = []
  for (let i = 0; i < count; i++) {
    result.push(chars.slice(Math.floor((i * chars.length) / count), Math.floor(((i + 1) * chars.length) / count)).join(''))
  }
  return result
}

function toolNameOf(request: MessagesRequest): string {
  const choice = request.body.tool_choice as { name?: unknown } | undefined
  if (typeof choice?.name === 'string') return choice.name
  const tools = request.body.tools
  const first: unknown = Array.isArray(tools) ? tools[0] : undefined
  const name = (first as { name?: unknown } | undefined)?.name
  return typeof name === 'string' ? name : 'tool'
}

// --- Plain HTTP ---

function sendError(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  const requestId = newId('req_')
  sendJson(res, status, { type: 'error', error: { type, message }, request_id: requestId }, { ...headers, 'request-id': requestId })
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': newId('req_'),
    ...headers,
  })
  res.end(text)
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

// --- Ids and token counts (plausible, not exact) ---

function newId(prefix: string): string {
  return `${prefix}01${randomBytes(16).toString('base64url').replace(/[-_]/g, 'x').slice(0, 22)}`
}

function roughTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4))
}

function inputTokens(request: MessagesRequest): number {
  const { system, messages, tools } = request.body
  return roughTokens(JSON.stringify({ system, messages, tools }))
}

function outputTokens(block: ContentBlock): number {
  return roughTokens(block.type === 'text' ? block.text : JSON.stringify(block.input))
}
