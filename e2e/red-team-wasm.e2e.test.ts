/**
 * Red team: hostile WebAssembly against a real `dwcp serve`, sent the way the WASM view and a script
 * send it (`wasm.execute` over the WebSocket stream and over REST). The table bomb — a few hundred
 * bytes declaring 100 tables of 1,000,000 elements — once took the server from 113 MB to 5 GB of RSS
 * in five calls. What a user must see: each upload refused with a sentence naming the limit and the
 * value, the server's memory where it was, health answering fast throughout, and the next call served.
 */
import { readFileSync } from 'node:fs'
import wabtInit from 'wabt'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dwcp, startServe, type ServeProcess } from './support/server'
import { healthBar, probeHealth, stillRunning } from './support/red-team'

let serve: ServeProcess
let token: string
let bomb: Uint8Array
let deep: Uint8Array

beforeAll(async () => {
  const wabt = await wabtInit()
  const wat = (source: string) => {
    const module = wabt.parseWat('red-team.wat', source, { reference_types: true })
    try {
      return new Uint8Array(module.toBinary({}).buffer)
    } finally {
      module.destroy()
    }
  }
  bomb = wat(`(module ${'(table 1000000 funcref) '.repeat(100)}(func (export "f")))`)
  deep = wat('(module (func $deep (export "deep") (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 1))))')
  serve = await startServe()
  token = dwcp(serve.home, 'token').trim()
})

afterAll(async () => {
  stream?.close()
  await serve?.stop()
})

/**
 * Right after it starts, the server is still busy (pre-warming the built-in workloads, its first
 * requests): wait until health answers fast while nothing else happens, so the attack is measured alone.
 * The bar it returns is the p99 /v4/health may reach during the attack (see healthBar).
 */
async function settle(): Promise<number> {
  let bar = Infinity
  for (let attempt = 0; attempt < 5; attempt++) {
    bar = await healthBar(serve.url, 1_500)
    if (bar <= 100) break
  }
  return bar
}

/** Run the attack while probing /v4/health; the probe's report, or the attack's own failure. */
async function whileProbingHealth(attack: () => Promise<void>) {
  const health = probeHealth(serve.url)
  const failed = await attack().then(
    () => undefined,
    (err: unknown) => err ?? new Error('the attack failed'),
  )
  const report = await health.stop()
  if (failed) throw failed
  return report
}

/** The server's resident memory, worker threads included (they live in its process). */
function rssMb(): number {
  const status = readFileSync(`/proc/${serve.child.pid}/status`, 'utf8')
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024
}

type Outcome = { ok: true; result: { values?: unknown[] } } | { ok: false; code: string; message: string }

async function overRest(input: unknown): Promise<Outcome> {
  const res = await fetch(new URL('/v4/wasm/execute', serve.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  })
  const body = (await res.json()) as { error?: { code: string; message: string } }
  return res.ok ? { ok: true, result: body as { values?: unknown[] } } : { ok: false, code: body.error!.code, message: body.error!.message }
}

/** `wasm.execute` on the stream the WASM view talks to: one socket, kept open, as the view keeps it. */
let stream: WebSocket | undefined
let nextId = 1
async function overStream(input: unknown): Promise<Outcome> {
  if (!stream) {
    const socket = new WebSocket(new URL('/v4/stream', serve.url.replace(/^http/, 'ws')).href, { headers: { authorization: `Bearer ${token}` } })
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
    stream = socket
  }
  const socket = stream
  const id = nextId++
  return new Promise<Outcome>((resolve) => {
    const onMessage = (raw: WebSocket.RawData) => {
      const message = JSON.parse(raw.toString()) as { type: string; id?: number; result?: { values?: unknown[] }; error?: { code: string; message: string } }
      if (message.id !== id) return
      socket.off('message', onMessage)
      resolve(message.type === 'result' ? { ok: true, result: message.result! } : { ok: false, code: message.error!.code, message: message.error!.message })
    }
    socket.on('message', onMessage)
    socket.send(JSON.stringify({ id, method: 'wasm.execute', input }))
  })
}

const upload = (bytes: Uint8Array, invoke: string, args: number[] = []) => ({ module: { base64: Buffer.from(bytes).toString('base64'), name: 'hostile.wasm' }, invoke, args, tenant: 'red-team' })
const BOMB_REFUSED = "table 1 declares 1,000,000 elements, which brings the module's tables to 2,000,000; the limit is 1,000,000 per module"
const builtinCall = { module: { builtin: 'trivial' }, invoke: 'add', args: [40, 2], tenant: 'calm' }

describe('hostile WebAssembly against a real dwcp serve', () => {
  it('the table bomb, five times over the stream and five over REST: refused with the limit, memory flat, health fast', async () => {
    expect(bomb.length).toBeLessThan(1000)
    expect(await overRest(builtinCall)).toMatchObject({ ok: true, result: { values: [42] } })
    expect(await overStream(builtinCall)).toMatchObject({ ok: true, result: { values: [42] } })
    // One refusal first, outside the measure: the first run of a code path (V8 compiling it, the audit
    // log's first failure entry) is a one-off cost of the server, not of the attack.
    expect(await overRest(upload(bomb, 'f'))).toMatchObject({ ok: false })
    const bar = await settle()
    const before = rssMb()
    let peak = before
    const report = await whileProbingHealth(async () => {
      for (let i = 0; i < 5; i++) {
        // Checked at once: unrefused, each of these takes about a gigabyte.
        for (const send of [overStream, overRest]) {
          expect(await send(upload(bomb, 'f'))).toMatchObject({ ok: false, code: 'conflict', message: BOMB_REFUSED })
          peak = Math.max(peak, rssMb())
        }
      }
    })
    expect(peak - before, `RSS went from ${before.toFixed(0)} MB to a peak of ${peak.toFixed(0)} MB`).toBeLessThan(300)
    expect(report.failures).toBe(0)
    expect(report.p99Ms).toBeLessThan(bar)
    expect(stillRunning(serve.child)).toBe(true)
    expect(await overStream(builtinCall)).toMatchObject({ ok: true, result: { values: [42] } })
    expect(await overRest(builtinCall)).toMatchObject({ ok: true, result: { values: [42] } })
  })

  it('deep recursion is reported as a stack overflow, and the next call is served', async () => {
    const outcome = await overRest(upload(deep, 'deep', [1]))
    expect(outcome).toMatchObject({ ok: false, code: 'bad_request', message: expect.stringMatching(/^stack overflow: /) })
    expect(await overRest(builtinCall)).toMatchObject({ ok: true, result: { values: [42] } })
  })
})
