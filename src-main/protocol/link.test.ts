/**
 * The console and agents over real TCP on loopback, in one process: enrolment, calls, heartbeats,
 * state by delta, v3 links, live pinning, refusals. Agents as separate processes are tested through
 * the CLI (protocol-cli.test.ts).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../store'
import { EdgeAgent } from './agent'
import { ProtocolConsole } from './console'
import { ProtocolError } from './errors'
import {
  checkEncapsulationKey,
  consoleKemCertificate,
  createClientHello,
  createConsoleKem,
  createIdentity,
  deriveTrafficSecrets,
  finishClientHandshake,
  respondToHello,
  verifyConsoleKem,
} from './handshake'
import { decodeFrame, encodeFrame, MessageType } from './frame'
import { FEATURES, negotiate } from './negotiate'
import { Opener, Sealer } from './record'
import { connectToConsole } from './session'
import { zstdReady } from './v3'

beforeAll(() => zstdReady)

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), `dwcp-${prefix}-`))

async function startConsole(heartbeatMs = 200, extra: Partial<ConstructorParameters<typeof ProtocolConsole>[0]> = {}) {
  const home = temp('console')
  const store = Store.open({ home })
  const console_ = new ProtocolConsole({ store, home, heartbeatMs, ...extra })
  const { port } = await console_.listen('127.0.0.1', 0)
  cleanups.push(async () => {
    await console_.close()
    store.close()
  })
  return { console: console_, port, store }
}

function agent(port: number, name: string, extra: Partial<ConstructorParameters<typeof EdgeAgent>[0]> = {}) {
  let load = 0.1
  const a = new EdgeAgent({
    host: '127.0.0.1',
    port,
    name,
    home: temp(name),
    capabilities: { region: 'us-west', cpu: 4, memoryMb: 8192 },
    onRequest: async (method, payload) => {
      if (method === 'echo') return payload
      if (method === 'slow') return new Promise((r) => setTimeout(() => r('late'), 60_000))
      throw new Error(`unknown method ${method}`)
    },
    onStream: async function* (_method, payload) {
      const { chunks, size } = payload as { chunks: number; size: number }
      for (let i = 0; i < chunks; i++) yield new Uint8Array(size).fill(i & 0xff)
    },
    state: () => ({ load: (load += 0.01), replicas: { web: { state: 'running', cpu: 0.5 } }, big: 'x'.repeat(2000) }),
    stateEveryMs: 100,
    ...extra,
  })
  cleanups.push(() => a.stop())
  return a
}

// A long deadline: it only bounds a hang, and a busy machine can be many times slower than a quiet one.
const until = async (check: () => boolean, what: string, ms = 60_000) => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('features held back per agent', () => {
  it('an agent not offered enhanced_compression gets plain frames both ways; another one compresses', async () => {
    const { console: c, port } = await startConsole(200, { features: (name) => FEATURES.filter((f) => f.name !== 'enhanced_compression' || name !== 'edge-plain') })
    const plain = await agent(port, 'edge-plain', { token: c.issueToken().token }).connect()
    const packed = await agent(port, 'edge-packed', { token: c.issueToken().token }).connect()
    expect(plain.agreement.features.map((f) => f.name)).not.toContain('enhanced_compression')
    expect(packed.agreement.features.map((f) => f.name)).toContain('enhanced_compression')
    await until(() => c.list().length === 2, 'both agents')
    const text = 'a very compressible line of text, '.repeat(400)
    for (const name of ['edge-plain', 'edge-packed']) expect(await c.callAgent(name, 'echo', { text })).toEqual({ text })
    const ratio = (name: string) => c.status().peers.find((p) => p.name === name)!.compressionRatio
    expect(ratio('edge-plain')).toBe(1)
    expect(ratio('edge-packed')).toBeGreaterThan(2)
    expect(c.status().peers.find((p) => p.name === 'edge-plain')!.features).not.toContain('enhanced_compression')
  })
})

describe('ML-KEM held back per agent (quantum_crypto off for it)', () => {
  it('the handshake is X25519 alone, signed with ML-DSA, says so, and nobody in the middle can make a hybrid one classical', () => {
    const serverId = createIdentity()
    const hello = createClientHello({ identity: createIdentity(), name: 'edge-classic', versions: ['4.0.0'], features: FEATURES })
    const server = respondToHello(hello.payload, { identity: serverId, versions: ['4.0.0'], features: FEATURES, postQuantum: (name) => name !== 'edge-classic' })
    const client = finishClientHandshake(hello, server.reply, serverId.fingerprint)
    expect(client.agreement.kex).toBe('x25519')
    expect(client.agreement.features.map((f) => f.name)).not.toContain('quantum_crypto')
    expect(Buffer.from(client.secrets.clientToServer).equals(Buffer.from(server.secrets.clientToServer))).toBe(true)
    // A hybrid reply rewritten to look classical no longer carries the console's signature.
    const hybridHello = createClientHello({ identity: createIdentity(), name: 'edge-pq', versions: ['4.0.0'], features: FEATURES })
    const hybrid = respondToHello(hybridHello.payload, { identity: serverId, versions: ['4.0.0'], features: FEATURES })
    const reply = JSON.parse(Buffer.from(hybrid.reply).toString()) as { core: string; signature: string }
    const core = JSON.parse(reply.core) as Record<string, unknown>
    delete core.mlkemCt
    core.kex = 'x25519'
    expect(() => finishClientHandshake(hybridHello, Buffer.from(JSON.stringify({ ...reply, core: JSON.stringify(core) })), serverId.fingerprint)).toThrow(/signature over the handshake does not verify/)
  })

  it('a live link: the console labels it classical, requests work, and a returning agent is not resumed', async () => {
    const { console: c, port } = await startConsole(200, { postQuantum: (name) => name !== 'edge-classic' })
    const home = temp('edge-classic')
    const first = await agent(port, 'edge-classic', { token: c.issueToken().token, home }).connect()
    expect(first.agreement.kex).toBe('x25519')
    await until(() => c.list().length === 1, 'the agent')
    expect(await c.callAgent('edge-classic', 'echo', 'hi')).toBe('hi')
    expect(c.status().peers[0]!.cipherSuite).toBe('X25519 (classical) + ML-DSA-65 / aes-256-gcm')
    c.list()[0]!.link.close()
    await until(() => c.list().length === 0, 'the disconnect')
    const again = await agent(port, 'edge-classic', { home }).connect()
    expect(again.auth).toBe('signature')
  })
})

describe('negotiation', () => {
  it('picks the highest common version and refuses when there is none', () => {
    expect(negotiate(['3.0.0', '3.1.0', '4.0.0'])).toBe('4.0.0')
    expect(negotiate(['3.1.0', '3.0.0'])).toBe('3.0.0')
    expect(negotiate(['4.0.0-rc.1', '4.0.0'], ['4.0.0-rc.1'])).toBe('4.0.0-rc.1')
    expect(() => negotiate(['5.0.0', '9.1.2'])).toThrow(/no common protocol version: the peer offers "5.0.0", "9.1.2"; this console speaks 4.0.0, 3.0.0/)
    expect(() => negotiate(['not-a-version'])).toThrow(ProtocolError)
  })
})

describe('handshake primitives', () => {
  it('both sides derive the same keys; a changed transcript does not', () => {
    const serverId = createIdentity()
    const clientId = createIdentity()
    const hello = createClientHello({ identity: clientId, name: 'edge-1', versions: ['4.0.0'], features: FEATURES })
    const server = respondToHello(hello.payload, { identity: serverId, versions: ['4.0.0', '3.0.0'], features: FEATURES })
    const client = finishClientHandshake(hello, server.reply, serverId.fingerprint)
    expect(Buffer.from(client.secrets.clientToServer).equals(Buffer.from(server.secrets.clientToServer))).toBe(true)
    expect(client.agreement.version).toBe('4.0.0')
    expect(client.agreement.suite).toBe('aes-256-gcm')
    expect(() => finishClientHandshake(hello, server.reply, 'ab'.repeat(32))).toThrow(/identity changed/)
    const forged = JSON.parse(Buffer.from(server.reply).toString()) as { core: string; signature: string }
    forged.core = forged.core.replace('aes-256-gcm', 'chacha20-poly1305')
    expect(() => finishClientHandshake(hello, Buffer.from(JSON.stringify(forged)))).toThrow(/signature over the handshake does not verify/)
    const other = deriveTrafficSecrets(new Uint8Array(64), new Uint8Array(32))
    expect(Buffer.from(other.clientToServer).equals(Buffer.from(server.secrets.clientToServer))).toBe(false)
  })

  it('resumes with the console’s certified ML-KEM key: no signature, key confirmation instead, and only the key holder passes', () => {
    const serverId = createIdentity()
    const kem = createConsoleKem(serverId)
    const pinned = verifyConsoleKem(consoleKemCertificate(kem), serverId.publicKey)
    expect(() => verifyConsoleKem(consoleKemCertificate(createConsoleKem(createIdentity())), serverId.publicKey)).toThrow(/not signed by the console's identity/)
    const clientId = createIdentity()
    const options = { identity: serverId, versions: ['4.0.0'], features: FEATURES, consoleKem: kem }
    const hello = createClientHello({ identity: clientId, name: 'edge-1', versions: ['4.0.0'], features: FEATURES, consoleKem: pinned })
    const server = respondToHello(hello.payload, options)
    const reply = JSON.parse(Buffer.from(server.reply).toString()) as { core: string; signature?: string; confirm?: string }
    expect(reply.signature).toBeUndefined()
    expect(JSON.parse(reply.core).auth).toBe('kem')
    const client = finishClientHandshake(hello, server.reply, serverId.fingerprint)
    expect(client.auth).toBe('kem')
    expect(Buffer.from(client.secrets.serverToClient).equals(Buffer.from(server.secrets.serverToClient))).toBe(true)
    // An impostor that knows the console's public identity but not its KEM secret fails the confirmation.
    const impostor = respondToHello(hello.payload, { ...options, identity: { ...serverId, secretKey: createIdentity().secretKey }, consoleKem: { ...kem, dk: createConsoleKem(serverId).dk } })
    expect(() => finishClientHandshake(hello, impostor.reply, serverId.fingerprint)).toThrow(/could not prove its identity/)
    // A console that no longer holds that key signs instead, and the client accepts that too.
    const rotated = respondToHello(hello.payload, { ...options, consoleKem: createConsoleKem(serverId) })
    expect(finishClientHandshake(hello, rotated.reply, serverId.fingerprint).auth).toBe('signature')
  })

  it('checks the ML-KEM encapsulation key (FIPS 203 §7.2) and refuses a low-order X25519 key', () => {
    const hello = createClientHello({ identity: createIdentity(), name: 'edge-1', versions: ['4.0.0'], features: FEATURES })
    const outer = JSON.parse(Buffer.from(hello.payload).toString()) as { core: string; signature: string }
    const body = JSON.parse(outer.core) as Record<string, string>
    const rewrap = (changed: Record<string, string>) => Buffer.from(JSON.stringify({ core: JSON.stringify(changed), signature: outer.signature }))
    const ek = Buffer.from(body.mlkemEk!, 'base64')
    expect(() => checkEncapsulationKey(ek)).not.toThrow()
    ek[0] = 0xff
    ek[1] = 0x0f // first coefficient 4095 ≥ q
    expect(() => checkEncapsulationKey(ek)).toThrow(/modulus check/)
    expect(() => checkEncapsulationKey(ek.subarray(0, 100))).toThrow(/1184 bytes/)
    const bad = { ...body, mlkemEk: ek.toString('base64') }
    expect(() => respondToHello(rewrap(bad), { identity: createIdentity(), versions: ['4.0.0'], features: FEATURES })).toThrow(/modulus check/)
    const lowOrder = { ...body, x25519: Buffer.alloc(32).toString('base64') }
    expect(() => respondToHello(rewrap(lowOrder), { identity: createIdentity(), versions: ['4.0.0'], features: FEATURES })).toThrow(/all-zero/)
  })
})

describe('record layer', () => {
  const secret = new Uint8Array(32).fill(7)
  for (const suite of ['aes-256-gcm', 'chacha20-poly1305'] as const) {
    it(`${suite}: refuses and counts replayed, reordered, stale and tampered frames`, () => {
      let clock = 1_763_870_400_000
      const sealer = new Sealer(secret, suite, { bytes: 1e9, ms: 1e9 }, () => clock)
      const opener = new Opener(secret, suite, () => clock)
      const seal = (text: string) => sealer.seal({ type: MessageType.request, flags: 0, compression: 0, requestId: 1 }, Buffer.from(text))
      const open = (raw: Buffer) => Buffer.from(opener.open(decodeFrame(raw), raw)).toString()
      const f0 = seal('zero')
      const f1 = seal('one')
      const f2 = seal('two')
      expect(open(f0)).toBe('zero')
      expect(() => open(f0)).toThrow(/already received/)
      expect(() => open(f2)).toThrow(/dropped or injected/)
      const tampered = Buffer.from(f1)
      tampered[40]! ^= 1
      const fixed = decodeFrame(Buffer.from(encodeFrame({ ...decodeFrame(f1), payload: tampered.subarray(32) })))
      expect(() => opener.open(fixed, Buffer.from(encodeFrame({ ...decodeFrame(f1), payload: tampered.subarray(32) })))).toThrow(/fails authentication/)
      expect(open(f1)).toBe('one')
      clock += 31_000
      expect(() => open(f2)).toThrow(/window ±30 s/)
      expect(opener.rejected).toEqual({ replay: 1, reorder: 1, stale: 1, tampered: 1, malformed: 0 })
    })
  }

  it('rotates keys after the byte limit: frames after the rekey are under the next epoch', () => {
    const sealer = new Sealer(secret, 'aes-256-gcm', { bytes: 1000, ms: 1e9 })
    const frames: Buffer[] = []
    for (let i = 0; i < 20; i++) {
      if (sealer.dueForRekey()) sealer.rotate()
      frames.push(sealer.seal({ type: MessageType.request, flags: 0, compression: 0, requestId: 1 }, Buffer.alloc(100)))
    }
    expect(decodeFrame(frames.at(-1)!).keyEpoch).toBeGreaterThan(0)
    const opener = new Opener(secret, 'aes-256-gcm')
    expect(() => opener.open(decodeFrame(frames.at(-1)!), frames.at(-1)!)).toThrow(/key epoch/)
  })
})

describe('console and agents over TCP', () => {
  it('enrols with a one-time token, then reconnects by key alone; calls, RTT and delta state work', async () => {
    const { console: c, port } = await startConsole()
    const { token } = c.issueToken()
    const firstHome = temp('edge-001')
    const a = agent(port, 'edge-001', { token, home: firstHome })
    const first = await a.connect()
    expect(first.agreement.version).toBe('4.0.0')
    expect(first.consoleFingerprint).toBe(c.identity.fingerprint)
    expect(first.auth).toBe('signature')
    expect(first.consoleKem).toBeDefined() // kept for the next connection
    await until(() => c.list().length === 1, 'the agent to register')
    expect(await c.callAgent('edge-001', 'echo', { hello: 'world' })).toEqual({ hello: 'world' })
    await until(() => c.list()[0]!.link.rttMs !== null, 'an RTT measurement')
    const beats: number[] = []
    c.on('heartbeat', (b) => beats.push(b.load))
    await until(() => beats.length >= 3, 'three heartbeats')
    const status = c.status().peers[0]!
    expect(status).toMatchObject({ name: 'edge-001', version: '4.0.0', encrypted: true, cipherSuite: 'X25519MLKEM768 + ML-DSA-65 / aes-256-gcm' })
    expect(status.capabilities).toEqual({ region: 'us-west', cpu: 4, memoryMb: 8192, gpus: 0 })
    // The big unchanging field is sent once: later states are small deltas.
    expect(c.list()[0]!.link.peerState).toMatchObject({ replicas: { web: { state: 'running' } } })
    a.stop()
    await until(() => c.list().length === 0, 'the disconnect')
    // The token was spent; the enrolled key alone gets back in, and the console proves itself with its KEM key.
    const again = await agent(port, 'edge-001', { home: firstHome }).connect()
    expect(again.auth).toBe('kem')
    expect(again.consoleKem).toBeUndefined()
    await until(() => c.list().length === 1, 'the reconnect')
    expect(await c.callAgent('edge-001', 'echo', 42)).toBe(42)
  })

  it('refuses a bad token, a spent token, and another key under an enrolled name — each with a clear reason', async () => {
    const { console: c, port } = await startConsole()
    await expect(agent(port, 'edge-x', { token: 'dwcp-enrol-nonsense' }).connect()).rejects.toThrow(/not one this console issued/)
    await expect(agent(port, 'edge-y').connect()).rejects.toThrow(/not enrolled: start the agent with --token/)
    const { token } = c.issueToken()
    await agent(port, 'edge-z', { token }).connect()
    await expect(agent(port, 'edge-w', { token }).connect()).rejects.toThrow(/already used \(by edge-z\)/)
    const { token: t2 } = c.issueToken()
    await expect(agent(port, 'edge-z', { token: t2 }).connect()).rejects.toThrow(/enrolled with another key/)
    expect(c.status().refusedConnections).toBe(4)
  })

  it('a hello signed by another key is refused after the reply, before any link exists', async () => {
    const { console: c, port } = await startConsole()
    const { token } = c.issueToken()
    const me = createIdentity()
    const hello = createClientHello({ identity: me, name: 'impostor', versions: ['4.0.0'], features: FEATURES })
    const outer = JSON.parse(Buffer.from(hello.payload).toString()) as { core: string; signature: string }
    const other = createClientHello({ identity: createIdentity(), name: 'impostor', versions: ['4.0.0'], features: FEATURES })
    const forged = { payload: Buffer.from(JSON.stringify({ core: outer.core, signature: (JSON.parse(Buffer.from(other.payload).toString()) as { signature: string }).signature })), secrets: hello.secrets }
    await expect(connectToConsole({ host: '127.0.0.1', port, identity: me, name: 'impostor', versions: ['4.0.0'], token, capabilities: {}, hello: forged })).rejects.toThrow(/signature over the hello does not verify/)
    expect(c.list()).toHaveLength(0)
    expect(c.enrolled()).toHaveLength(0)
  })

  it('a peer offering only unknown versions gets a clear refusal', async () => {
    const { console: c, port } = await startConsole()
    const { token } = c.issueToken()
    const err = await connectToConsole({ host: '127.0.0.1', port, identity: createIdentity(), name: 'future', versions: ['5.0.0', '6.1.0'], token, capabilities: {} }).catch((e: ProtocolError) => e)
    expect(err).toBeInstanceOf(ProtocolError)
    expect((err as ProtocolError).kind).toBe('no_common_version')
    expect((err as Error).message).toMatch(/the peer offers "5.0.0", "6.1.0"; this console speaks 4.0.0/)
  })

  it('v3 agents: refused until allowed, then connected and marked unencrypted', async () => {
    const { console: c, port } = await startConsole()
    const { token } = c.issueToken()
    await expect(agent(port, 'old-edge', { token, protocol: 'v3' }).connect()).rejects.toThrow(/does not accept unencrypted DWCP v3 agents/)
    c.setAllowV3(true)
    const a = agent(port, 'old-edge', { token, protocol: 'v3' })
    const r = await a.connect()
    expect(r.agreement.version).toBe('3.0.0')
    await until(() => c.list().length === 1, 'the v3 agent')
    expect(c.status().peers[0]).toMatchObject({ version: '3.0.0', encrypted: false, cipherSuite: 'none (v3, unencrypted)' })
    expect(await c.callAgent('old-edge', 'echo', { big: 'y'.repeat(5000) })).toEqual({ big: 'y'.repeat(5000) })
    await until(() => c.list()[0]!.link.rttMs !== null, 'RTT over v3 keep-alives')
  })

  it('pins every link to v3 in place and back, with calls in flight answered', async () => {
    const { console: c, port } = await startConsole()
    const agents = ['edge-1', 'edge-2', 'edge-3'].map((name) => agent(port, name, { token: c.issueToken().token }))
    await Promise.all(agents.map((a) => a.connect()))
    await until(() => c.list().length === 3, 'three agents')
    const inFlight = c.callAgent('edge-2', 'echo', 'during the switch')
    const pinned = await c.pin('3.0.0')
    expect(pinned.agents.map((a) => [a.agent, a.version, a.ok]).sort()).toEqual([
      ['edge-1', '3.0.0', true],
      ['edge-2', '3.0.0', true],
      ['edge-3', '3.0.0', true],
    ])
    expect(await inFlight).toBe('during the switch')
    expect(c.status().peers.every((p) => !p.encrypted && p.version === '3.0.0')).toBe(true)
    expect(await c.callAgent('edge-1', 'echo', 'over v3')).toBe('over v3')
    const lifted = await c.pin(null)
    expect(lifted.agents.every((a) => a.version === '4.0.0' && a.ok)).toBe(true)
    expect(c.status().peers.every((p) => p.encrypted && p.keyEpoch === 1)).toBe(true)
    expect(await c.callAgent('edge-3', 'echo', 'back on v4')).toBe('back on v4')
  })

  it('streams with credit: the agent never runs more than a window ahead of the reader', async () => {
    const { console: c, port } = await startConsole()
    await agent(port, 'streamer', { token: c.issueToken().token }).connect()
    await until(() => c.list().length === 1, 'the agent')
    const link = c.get('streamer').link
    let total = 0
    let chunks = 0
    for await (const chunk of link.requestStream('data', { chunks: 64, size: 128 * 1024 })) {
      total += chunk.length
      chunks++
      if (chunks === 4) {
        // A slow reader: what arrived meanwhile is bounded by the window, not by the 8 MiB on offer.
        const before = link.bytesIn
        await new Promise((r) => setTimeout(r, 200))
        expect(link.bytesIn - before).toBeLessThan(1.5 * 1024 * 1024)
      }
    }
    expect(total).toBe(64 * 128 * 1024)
  })

  it('an agent that dies mid-request: the caller gets a clear error at once, the console keeps running', async () => {
    const { console: c, port } = await startConsole()
    const a = agent(port, 'doomed', { token: c.issueToken().token })
    await a.connect()
    await until(() => c.list().length === 1, 'the agent')
    const call = c.callAgent('doomed', 'slow', {}, { timeoutMs: 30_000 })
    await new Promise((r) => setTimeout(r, 50))
    a.link!.destroy('killed')
    await expect(call).rejects.toThrow(/doomed disconnected before answering slow/)
    await until(() => c.list().length === 0, 'the disconnect')
    await expect(c.callAgent('doomed', 'echo', 1)).rejects.toThrow(/not connected/)
  })

  it('a garbage byte stream is refused and counted; the console goes on', async () => {
    const { console: c, port } = await startConsole()
    const { connect } = await import('node:net')
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n')))
      s.on('close', () => resolve())
      s.on('error', () => resolve())
    })
    await until(() => c.status().refusedConnections === 1, 'the refusal')
    await agent(port, 'fine', { token: c.issueToken().token }).connect()
    await until(() => c.list().length === 1, 'a good agent after the bad one')
  })
})
