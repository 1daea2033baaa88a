import Anthropic from '@anthropic-ai/sdk'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startAnthropicServer, type AnthropicTestServer } from './anthropic-server'

const MODEL = 'claude-haiku-4-5'

const classifyTool = {
  name: 'classify_intent',
  description: 'Classify what the operator asked for.',
  input_schema: {
    type: 'object' as const,
    properties: {
      intent: { type: 'string', enum: ['restart_device', 'deploy_module', 'other'] },
      target: { type: 'string' },
      confidence: { type: 'number' },
      notes: { type: 'string' },
    },
    required: ['intent'],
  },
}

// Quotes, escapes and non-ASCII so that cutting the JSON into pieces is really tested.
const classified = { intent: 'restart_device', target: 'edge-7', confidence: 0.92, notes: 'says "now" — ünïcode ✓ \\ done' }

const forcedToolCall = {
  model: MODEL,
  max_tokens: 256,
  system: 'Classify the operator request.',
  messages: [{ role: 'user' as const, content: 'restart edge-7 now' }],
  tools: [classifyTool],
  tool_choice: { type: 'tool' as const, name: 'classify_intent' },
}

let server: AnthropicTestServer
beforeEach(async () => {
  server = await startAnthropicServer()
})
afterEach(async () => {
  await server.close()
})

function client(maxRetries = 0): Anthropic {
  return new Anthropic({ apiKey: 'test-key', baseURL: server.baseURL, maxRetries })
}

function textRequest(content: string) {
  return { model: MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content }] }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('Anthropic test server, through the real SDK', () => {
  it('answers a forced tool call with the tool input intact, and sees what the SDK sent', async () => {
    server.reply({ toolUse: { name: 'classify_intent', input: classified } })
    const message = await client().messages.create(forcedToolCall)

    expect(message.id).toMatch(/^msg_/)
    expect(message.model).toBe(MODEL)
    expect(message.stop_reason).toBe('tool_use')
    expect(message._request_id).toMatch(/^req_/)
    expect(message.content).toHaveLength(1)
    const block = message.content[0]
    if (block?.type !== 'tool_use') throw new Error(`expected a tool_use block, got ${block?.type}`)
    expect(block.id).toMatch(/^toolu_/)
    expect(block.name).toBe('classify_intent')
    expect(block.input).toEqual(classified)

    expect(server.requests).toHaveLength(1)
    const seen = server.requests[0]!
    expect(seen.method).toBe('POST')
    expect(seen.path).toBe('/v1/messages')
    expect(seen.headers['x-api-key']).toBe('test-key')
    expect(seen.headers['anthropic-version']).toBe('2023-06-01')
    expect(seen.body).toMatchObject({
      model: MODEL,
      max_tokens: 256,
      system: 'Classify the operator request.',
      tools: [classifyTool],
      tool_choice: { type: 'tool', name: 'classify_intent' },
    })
    expect(seen.body).not.toHaveProperty('stream')
  })

  it('streams a forced tool call whose input the SDK assembles from several input_json_delta pieces', async () => {
    server.reply({ toolUse: { name: 'classify_intent', input: classified } })
    const stream = client().messages.stream(forcedToolCall)
    const partials: string[] = []
    stream.on('inputJson', (partial) => partials.push(partial))
    const message = await stream.finalMessage()

    expect(partials.length).toBeGreaterThan(1)
    expect(partials.join('')).toBe(JSON.stringify(classified))
    expect(message.stop_reason).toBe('tool_use')
    const block = message.content[0]
    if (block?.type !== 'tool_use') throw new Error(`expected a tool_use block, got ${block?.type}`)
    expect(block.name).toBe('classify_intent')
    expect(block.input).toEqual(classified)
    expect(server.requests[0]!.body).toMatchObject({ stream: true, tools: [classifyTool], tool_choice: forcedToolCall.tool_choice })
  })

  it('streams text whose text events concatenate to the full answer', async () => {
    const answer = 'Edge-7 restarted; 3 replicas moved to edge-9 — all healthy.'
    server.reply({ text: answer })
    const stream = client().messages.stream(textRequest('status?'))
    const deltas: string[] = []
    stream.on('text', (delta) => deltas.push(delta))
    const message = await stream.finalMessage()

    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.join('')).toBe(answer)
    expect(message.stop_reason).toBe('end_turn')
    expect(message.content).toEqual([{ type: 'text', text: answer }])
  })

  it('computes a reply from the request with a handler', async () => {
    server.reply({
      handler: (request) => {
        const last = request.body.messages.at(-1) as { content: string }
        return { text: `echo: ${last.content} (${request.body.model})` }
      },
    })
    const message = await client().messages.create(textRequest('ping'))
    expect(message.content).toEqual([{ type: 'text', text: `echo: ping (${MODEL})` }])
  })

  it('429 with retry-after 0: the SDK retries once and succeeds with maxRetries 1', async () => {
    server.reply({ status: 429, retryAfterSeconds: 0 })
    server.reply({ text: 'after the wait' })
    const message = await client(1).messages.create(textRequest('hi'))

    expect(message.content).toEqual([{ type: 'text', text: 'after the wait' }])
    expect(server.requests).toHaveLength(2)
    expect(server.requests.map((request) => request.headers['x-stainless-retry-count'])).toEqual(['0', '1'])
  })

  it('429 with maxRetries 0: the SDK throws a RateLimitError carrying the response', async () => {
    server.reply({ status: 429, retryAfterSeconds: 0, message: 'slow down' })
    const error = await rejection(client(0).messages.create(textRequest('hi')))

    expect(error).toBeInstanceOf(Anthropic.RateLimitError)
    const rateLimited = error as InstanceType<typeof Anthropic.RateLimitError>
    expect(rateLimited.status).toBe(429)
    expect(rateLimited.type).toBe('rate_limit_error')
    expect(rateLimited.message).toContain('slow down')
    expect(rateLimited.headers.get('retry-after')).toBe('0')
    expect(rateLimited.requestID).toMatch(/^req_/)
    expect(server.requests).toHaveLength(1)
  })

  it('529: the SDK throws an APIError with status 529 and type overloaded_error', async () => {
    server.reply({ status: 529 })
    const error = await rejection(client(0).messages.create(textRequest('hi')))

    expect(error).toBeInstanceOf(Anthropic.APIError)
    const apiError = error as InstanceType<typeof Anthropic.APIError>
    expect(apiError.status).toBe(529)
    expect(apiError.type).toBe('overloaded_error')
  })

  it('an error event in the middle of a stream rejects finalMessage() with its message', async () => {
    server.reply({ streamError: { errorType: 'overloaded_error', message: 'Overloaded halfway' }, afterJson: '{"intent": "resta' })
    const stream = client().messages.stream(forcedToolCall)
    const partials: string[] = []
    stream.on('inputJson', (partial) => partials.push(partial))
    const error = await rejection(stream.finalMessage())

    expect(error).toBeInstanceOf(Anthropic.APIError)
    expect((error as Error).message).toContain('Overloaded halfway')
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error')
    expect(partials.join('')).toBe('{"intent": "resta')
  })

  it('answers 500 "no scripted reply" when nothing is queued', async () => {
    const error = await rejection(client(0).messages.create(textRequest('hi')))
    expect(error).toBeInstanceOf(Anthropic.InternalServerError)
    expect((error as Error).message).toContain('no scripted reply')
  })

  it('refuses a request without an API key with 401 authentication_error', async () => {
    server.reply({ text: 'never sent' })
    // The SDK will not send without credentials unless the header is explicitly removed.
    const error = await rejection(client(0).messages.create(textRequest('hi'), { headers: { 'X-Api-Key': null } }))
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError)
    expect((error as InstanceType<typeof Anthropic.AuthenticationError>).status).toBe(401)
    expect(server.requests[0]!.headers['x-api-key']).toBeUndefined()

    const response = await fetch(`${server.baseURL}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(textRequest('hi')),
    })
    expect(response.status).toBe(401)
    const requestId = response.headers.get('request-id')
    expect(requestId).toMatch(/^req_/)
    expect(await response.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: expect.any(String) },
      request_id: requestId,
    })
  })
})

describe('Anthropic test server on the wire', () => {
  const headers = { 'content-type': 'application/json', 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01' }

  async function post(body: unknown, extraHeaders: Record<string, string> = {}): Promise<Response> {
    return fetch(`${server.baseURL}/v1/messages`, {
      method: 'POST',
      headers: { ...headers, ...extraHeaders },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  }

  it('refuses invalid requests with 400 invalid_request_error, leaving the scripted reply for a valid one', async () => {
    server.reply({ text: 'kept' })
    const invalid: unknown[] = [
      'not json',
      { max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
      { model: MODEL, max_tokens: 0, messages: [{ role: 'user', content: 'x' }] },
      { model: MODEL, max_tokens: 1.5, messages: [{ role: 'user', content: 'x' }] },
      { model: MODEL, max_tokens: 10, messages: [] },
      { model: MODEL, max_tokens: 10 },
    ]
    for (const body of invalid) {
      const response = await post(body)
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(((await response.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error')
    }
    const noVersion = await fetch(`${server.baseURL}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' },
      body: JSON.stringify(textRequest('x')),
    })
    expect(noVersion.status).toBe(400)

    const valid = await post(textRequest('x'))
    expect(valid.status).toBe(200)
    expect(((await valid.json()) as { content: unknown }).content).toEqual([{ type: 'text', text: 'kept' }])
  })

  it('streams events in the documented order, each as an event line and a data line', async () => {
    server.reply({ toolUse: { name: 'classify_intent', input: classified } })
    const response = await post({ ...forcedToolCall, stream: true })
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const frames = (await response.text()).split('\n\n').filter((frame) => frame !== '')
    const events = frames.map((frame) => {
      const match = /^event: (\w+)\ndata: (.*)$/.exec(frame)
      if (!match) throw new Error(`malformed SSE frame: ${frame}`)
      const data = JSON.parse(match[2]!) as { type: string }
      expect(data.type).toBe(match[1])
      return data.type
    })
    const deltas = events.filter((name) => name === 'content_block_delta').length
    expect(deltas).toBeGreaterThanOrEqual(3)
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array<string>(deltas).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ])
  })

  it('sends retry-after and the error type for scripted HTTP errors', async () => {
    server.reply({ status: 429, retryAfterSeconds: 7 })
    server.reply({ status: 400, errorType: 'invalid_request_error', message: 'bad tool schema' })
    const limited = await post(textRequest('x'))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('7')
    expect(((await limited.json()) as { error: unknown }).error).toEqual({ type: 'rate_limit_error', message: expect.any(String) })
    const bad = await post(textRequest('x'))
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: unknown }).error).toEqual({ type: 'invalid_request_error', message: 'bad tool schema' })
  })
})
