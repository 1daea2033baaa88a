/**
 * The pre-auth limits: the bucket and replay memory on a test clock, the one-at-a-time key exchange
 * against a stand-in for API work, and a real console on loopback refusing a replayed hello and a
 * flood from one address before any signature, while an honest agent still enrols and comes back.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../store'
import { EdgeAgent } from './agent'
import { ProtocolConsole } from './console'
import { ProtocolError } from './errors'
import { createClientHello, createIdentity } from './handshake'
import { HandshakeGuard, ReplayMemory, TokenBuckets } from './handshake-guard'
import { FEATURES } from './negotiate'
import { connectToConsole, MAX_HELLO_BYTES } from './session'
import { sendHello } from './testing/hostile-peer'
import { zstdReady } from './v3'

beforeAll(() => zstdReady)

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), `dwcp-${prefix}-`))

async function startConsole(extra: Partial<ConstructorParameters<typeof ProtocolConsole>[0]> = {}) {
  const home = temp('guard')
  const store = Store.open({ home })
  const c = new ProtocolConsole({ store, home, heartbeatMs: 200, ...extra })
  const { port } = await c.listen('127.0.0.1', 0)
  cleanups.push(async () => {
    await c.close()
    store.close()
  })
  return { console: c, port }
}

describe('token buckets', () => {
  it('gives a burst, then one token per 1/rate seconds, per key', () => {
    const b = new TokenBuckets(3, 2)
    expect([1, 2, 3, 4].map(() => b.take('a', 0))).toEqual([true, true, true, false])
    expect(b.take('b', 0)).toBe(true)
    expect(b.take('a', 499)).toBe(false)
    expect(b.take('a', 500)).toBe(true)
    expect(b.take('a', 500)).toBe(false)
    // Refilled to the burst, never beyond.
    expect([1, 2, 3, 4].map(() => b.take('a', 60_000))).toEqual([true, true, true, false])
  })

  it('keeps at most maxKeys addresses, forgetting the least recently seen', () => {
    const b = new TokenBuckets(1, 1, 100)
    for (let i = 0; i < 1000; i++) b.take(`10.0.${i >> 8}.${i & 255}`, 0)
    expect(b.size).toBe(100)
  })
})

describe('replay memory', () => {
  it('knows a hello seen within the window, forgets it after, and stays bounded', () => {
    const m = new ReplayMemory(1000, 50)
    const hello = Buffer.from('core of one hello')
    expect(m.check(hello, 0)).toBe(false)
    expect(m.check(hello, 999)).toBe(true)
    expect(m.check(Buffer.from('core of another hello'), 999)).toBe(false)
    expect(m.check(hello, 1001)).toBe(false)
    for (let i = 0; i < 500; i++) m.check(Buffer.from(`hello ${i}`), 2000)
    expect(m.size).toBe(50)
  })
})

describe('the handshake guard', () => {
  it('bounds connections under way, in all and per address, and releases each once', () => {
    const g = new HandshakeGuard({ maxPreauth: 3, maxPreauthPerAddress: 2 })
    const a1 = g.open('a') as () => void
    g.open('a')
    const refused = g.open('a')
    expect(refused).toBeInstanceOf(ProtocolError)
    expect((refused as ProtocolError).kind).toBe('busy')
    expect((refused as ProtocolError).message).toMatch(/too many handshakes under way from this address/)
    g.open('b')
    expect((g.open('c') as ProtocolError).message).toMatch(/too many handshakes under way; retry later/)
    a1()
    a1()
    expect(g.preauthConnections).toBe(2)
    expect(typeof g.open('c')).toBe('function')
  })

  it('refuses a replayed hello before the bucket, and a flood by the bucket', () => {
    let now = 0
    const g = new HandshakeGuard({ burstPerAddress: 2, ratePerAddress: 1 }, () => now)
    g.admitHello('a', Buffer.from('h1'))
    expect(() => g.admitHello('a', Buffer.from('h1'))).toThrow(/already used: a replayed handshake is refused/)
    g.admitHello('a', Buffer.from('h2'))
    expect(() => g.admitHello('a', Buffer.from('h3'))).toThrow(/too many handshakes from a: at most 2 at once and 1 a second/)
    now = 1000
    g.admitHello('a', Buffer.from('h4'))
    expect(g.counts).toMatchObject({ refused_replay: 1, refused_rate: 1 })
  })

  it('runs one key exchange at a time, letting other work in between, and refuses past the queue', async () => {
    const g = new HandshakeGuard({ maxQueued: 3 })
    const order: string[] = []
    // Stand-ins for API requests that became ready while handshakes wait.
    const api = setInterval(() => order.push('api'), 0)
    const busyWork = (name: string) => () => {
      const end = performance.now() + 5
      while (performance.now() < end);
      order.push(name)
    }
    const runs = ['h1', 'h2', 'h3', 'h4'].map((name) => g.run(busyWork(name)))
    const fifth = await g.run(busyWork('h5')).catch((e: ProtocolError) => e)
    expect((fifth as ProtocolError).kind).toBe('busy')
    await Promise.all(runs)
    clearInterval(api)
    const handshakes = order.filter((o) => o !== 'api')
    expect(handshakes).toEqual(['h1', 'h2', 'h3', 'h4'])
    // Each handshake after the second waits a whole turn of the event loop, so the timer (like any
    // I/O) runs between two of them. (The first runs at once and the second at the next check phase,
    // which may come before the loop's next timers phase.)
    const gap = (i: number) => order.indexOf(handshakes[i]!) - order.indexOf(handshakes[i - 1]!)
    expect([gap(2), gap(3)].every((g) => g > 1)).toBe(true)
  })
})

describe('a console under replayed and flooding hellos', () => {
  it('refuses a replayed hello without signing, and an honest agent still enrols and comes back', async () => {
    const { console: c, port } = await startConsole()
    const identity = createIdentity()
    const hello = createClientHello({ identity, name: 'edge-replayed', versions: ['4.0.0'], features: FEATURES })
    const first = await connectToConsole({ host: '127.0.0.1', port, identity, name: 'edge-replayed', versions: ['4.0.0'], token: c.issueToken().token, capabilities: {}, hello })
    expect(first.auth).toBe('signature')
    first.link.close()
    const signed = c.guard.counts.signed
    const answers = []
    for (let i = 0; i < 20; i++) answers.push(await sendHello('127.0.0.1', port, hello.payload))
    expect(answers.every((a) => a.type === 'error' && a.code === 'replay')).toBe(true)
    expect(answers[0]!.message).toMatch(/this hello was already used/)
    expect(c.guard.counts.signed).toBe(signed)
    expect(c.guard.counts.refused_replay).toBe(20)
    // Twenty refusals, one audit-worthy event: the rest are counted, not written one by one.
    expect(c.status().refusedConnections).toBe(20)

    const honest = new EdgeAgent({ host: '127.0.0.1', port, name: 'edge-honest', token: c.issueToken().token, home: temp('honest'), capabilities: {}, onRequest: () => null, state: () => ({}) })
    cleanups.push(() => honest.stop())
    await honest.connect()
    honest.link!.destroy('network failure, for the test')
    const again = await honest.connect()
    expect(again.auth).toBe('kem')
  })

  it('refuses a hello frame over MAX_HELLO_BYTES from its header, without reading it', async () => {
    const { console: c, port } = await startConsole()
    const answer = await sendHello('127.0.0.1', port, Buffer.from(JSON.stringify({ core: 'x'.repeat(MAX_HELLO_BYTES), signature: '' })))
    expect(answer).toMatchObject({ type: 'error', code: 'too_large' })
    expect(answer.message).toMatch(/over the limit of 65536/)
    expect(c.guard.counts.signed).toBe(0)
  })

  it('refuses a flood from one address with a clear reason, and the agent backs off and gets in', async () => {
    const records: { action: string; details?: Record<string, unknown> }[] = []
    // The console's clock stands still unless the test moves it: the bucket refills only then.
    let now = Date.now()
    const { console: c, port } = await startConsole({ handshakeLimits: { burstPerAddress: 3, ratePerAddress: 2 }, record: (e) => records.push(e), now: () => now })
    const junk = (i: number) => createClientHello({ identity: createIdentity(), name: `junk-${i}`, versions: ['4.0.0'], features: FEATURES }).payload
    const answers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => sendHello('127.0.0.1', port, junk(i))))
    expect(answers.filter((a) => a.type === 'helloReply')).toHaveLength(3)
    const refused = answers.filter((a) => a.type === 'error')
    expect(refused).toHaveLength(3)
    expect(refused[0]!.code).toBe('rate_limited')
    expect(refused[0]!.message).toMatch(/too many handshakes from .*127\.0\.0\.1: at most 3 at once and 2 a second; retry later/)
    expect(c.guard.counts).toMatchObject({ signed: 3, refused_rate: 3 })
    expect(records.filter((r) => r.action === 'protocol.refuse' && r.details?.kind === 'rate_limited')).toHaveLength(1)

    // The honest agent meets the empty bucket: it is told why, backs off, and gets in once it refills.
    const lines: string[] = []
    const honest = new EdgeAgent({ host: '127.0.0.1', port, name: 'edge-patient', token: c.issueToken().token, home: temp('patient'), capabilities: {}, onRequest: () => null, state: () => ({}), log: (l) => lines.push(l) })
    cleanups.push(() => honest.stop())
    const connected = new Promise<void>((resolve) => void honest.run(() => resolve()).catch(() => {}))
    const end = Date.now() + 20_000
    while (!lines.join('\n').includes('too many handshakes') && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
    expect(lines.join('\n')).toMatch(/cannot reach the console: the console refused the connection: too many handshakes/)
    now += 1000
    await connected
    expect(c.list().map((a) => a.name)).toEqual(['edge-patient'])
  }, 60_000)
})
