/**
 * `npm run bench -- protocol`: the wire codec, the encrypted link's throughput over loopback, the
 * handshake, a remote WASM call to a real `dwcp agent` process, and the bandwidth that delta state
 * sync with compression saves on ten minutes of heartbeat state from 1000 devices.
 * Baselines, measured in the same run: a header copy without checksum (codec), the same bytes over a
 * plain TCP socket (throughput), and the state stream as plain JSON lines (bandwidth).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cliLauncher, projectRoot } from '../paths'
import { ProtocolConsole, EdgeAgent, type Json } from '../protocol'
import { CompressionChooser } from '../protocol/compression'
import { StateReceiver, StateSender } from '../protocol/state-sync'
import { decodeFrame, encodeFrame, HEADER_BYTES } from '../protocol/frame'
import { TAG_BYTES } from '../protocol/record'
import { Store } from '../store'
import { percentile, round } from './stats'

export async function protocolBench(): Promise<Record<string, unknown>> {
  const home = mkdtempSync(join(tmpdir(), 'dwcp-bench-protocol-'))
  const store = Store.open({ home })
  const peer = new ProtocolConsole({ store, home, heartbeatMs: 1000 })
  const { port } = await peer.listen('127.0.0.1', 0)
  try {
    const codec = codecFigures()
    const throughput = await throughputFigures(peer, port, home)
    const handshakes = await handshakeTimes(peer, port, home)
    const remote = await remoteCallFigures(peer, port)
    const telemetry = telemetryFigures()
    return {
      codec_frames_per_s: Math.round(codec.framesPerS),
      codec_baseline_frames_per_s: Math.round(codec.baselinePerS),
      codec_baseline_ratio: round(codec.framesPerS / codec.baselinePerS, 3),
      encrypted_mb_per_s: round(throughput.encryptedMbPerS, 1),
      plain_tcp_mb_per_s: round(throughput.plainMbPerS, 1),
      encrypted_plain_ratio: round(throughput.encryptedMbPerS / throughput.plainMbPerS, 3),
      handshake_ms_p50: round(percentile(handshakes.times, 50), 2),
      handshake_ms_p99: round(percentile(handshakes.times, 99), 2),
      // The console signs (first enrolment, or after its KEM key changed): the ML-DSA-65 floor.
      handshake_full_ms_p50: round(percentile(handshakes.fullTimes, 50), 2),
      // Made by the agent while idle, before it connects (keygen + its ML-DSA signature).
      hello_prepare_ms_p50: round(percentile(handshakes.prepareMs, 50), 2),
      remote_call_us_p50: Math.round(percentile(remote.us, 50)),
      remote_call_us_p99: Math.round(percentile(remote.us, 99)),
      remote_calls: remote.us.length,
      telemetry_bandwidth_saved: round(telemetry.saved, 4),
      telemetry_plain_json_mb: round(telemetry.plainBytes / 1e6, 1),
      telemetry_sent_mb: round(telemetry.sentBytes / 1e6, 2),
      // Each state as JSON ÷ what carried it (the first whole, brotli-compressed; then dictionary-deflated deltas).
      compression_ratio: round(telemetry.compressionRatio, 2),
    }
  } finally {
    await peer.close()
    store.close()
    rmSync(home, { recursive: true, force: true })
  }
}

/** 256-byte payloads encoded and decoded (CRC-32C both ways). Baseline: the same bytes copied behind a header, no checksum. */
function codecFigures() {
  const payload = randomBytes(256)
  const header = { versionMajor: 4, versionMinor: 0, type: 0x10, flags: 0, compression: 0, keyEpoch: 0, timestamp: Date.now(), requestId: 7, sequence: 0 }
  const N = 1_000_000
  const run = (fn: (i: number) => void) => {
    for (let i = 0; i < 50_000; i++) fn(i)
    const start = performance.now()
    for (let i = 0; i < N; i++) fn(i)
    return N / ((performance.now() - start) / 1000)
  }
  let sink = 0
  const framesPerS = run((i) => {
    const frame = encodeFrame({ versionMajor: 4, versionMinor: 0, type: 0x10, flags: 0, compression: 0, keyEpoch: 0, timestamp: header.timestamp, requestId: 7, sequence: i, payload })
    sink += decodeFrame(frame).payloadLength
  })
  const baselinePerS = run((i) => {
    const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length)
    out.writeUInt32BE(i, 20)
    out.set(payload, HEADER_BYTES)
    sink += out.subarray(HEADER_BYTES).length
  })
  if (sink === 0) throw new Error('unreachable')
  return { framesPerS, baselinePerS }
}

/** 256 MiB of random (incompressible) bytes streamed agent → console in 64 KiB frames, sealed; and over a plain socket. */
async function throughputFigures(peer: ProtocolConsole, port: number, home: string) {
  const TOTAL = 256 * 1024 * 1024
  const CHUNK = 64 * 1024
  const block = randomBytes(CHUNK)
  const agent = new EdgeAgent({
    host: '127.0.0.1',
    port,
    name: 'bench-stream',
    token: peer.issueToken().token,
    home: join(home, 'stream-agent'),
    capabilities: { region: 'bench', cpu: 1, memoryMb: 512 },
    onRequest: () => null,
    onStream: async function* () {
      for (let sent = 0; sent < TOTAL; sent += CHUNK) yield block
    },
    state: () => ({}),
  })
  await agent.connect()
  await waitUntil(() => peer.list().some((a) => a.name === 'bench-stream'))
  const link = peer.get('bench-stream').link
  let received = 0
  let start = performance.now()
  for await (const chunk of link.requestStream('bench', {})) received += chunk.length
  const encryptedMbPerS = received / 1048576 / ((performance.now() - start) / 1000)
  agent.stop()

  // Baseline: the same bytes through a plain loopback socket, same chunking, no framing or crypto.
  const server = createServer((socket) => {
    let sent = 0
    const pump = () => {
      while (sent < TOTAL) {
        sent += CHUNK
        if (!socket.write(block)) return void socket.once('drain', pump)
      }
      socket.end()
    }
    pump()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const plainPort = (server.address() as { port: number }).port
  received = 0
  start = performance.now()
  await new Promise<void>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: plainPort })
    s.on('data', (d: Buffer) => (received += d.length))
    s.on('end', () => resolve())
  })
  const plainMbPerS = received / 1048576 / ((performance.now() - start) / 1000)
  server.close()
  return { encryptedMbPerS, plainMbPerS }
}

/** Handshakes from an agent in its own process (its signature overlaps the console's, as on two machines). */
async function handshakeTimes(peer: ProtocolConsole, port: number, home: string): Promise<{ times: number[]; fullTimes: number[]; prepareMs: number[] }> {
  const script = fileURLToPath(new URL('./protocol-handshakes.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(port), peer.issueToken().token, '60', join(home, 'handshake-agent')], { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  await new Promise((resolve) => child.once('exit', resolve))
  const { times, fullTimes, prepareMs } = JSON.parse(out) as { times: number[]; fullTimes: number[]; prepareMs: number[] }
  // The first connections pay for JIT compilation of the crypto code in both processes.
  return { times: times.slice(10), fullTimes: fullTimes.slice(5), prepareMs }
}

/** The console asks a real `dwcp agent` process to run trivial.add over the encrypted link. */
async function remoteCallFigures(peer: ProtocolConsole, port: number) {
  if (!existsSync(join(projectRoot(), 'out', 'main', 'cli.js'))) throw new Error('the protocol bench runs a real `dwcp agent`: run `npm run build` first')
  const agentHome = mkdtempSync(join(tmpdir(), 'dwcp-bench-agent-'))
  const child = spawn(process.execPath, [cliLauncher(), 'agent', '--console', `127.0.0.1:${port}`, '--token', peer.issueToken().token, '--name', 'bench-agent', '--cpu', '2', '--memory-mb', '2048'], {
    env: { ...process.env, DWCP_HOME: agentHome },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  try {
    await waitUntil(() => peer.list().some((a) => a.name === 'bench-agent'), 30_000)
    const call = () => peer.callAgent('bench-agent', 'wasm.execute', { module: { builtin: 'trivial' }, invoke: 'add', args: [2, 3] })
    for (let i = 0; i < 2000; i++) await call()
    const us: number[] = []
    for (let i = 0; i < 10_000; i++) {
      const start = performance.now()
      await call()
      us.push((performance.now() - start) * 1000)
    }
    return { us }
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    rmSync(agentHome, { recursive: true, force: true })
  }
}

// ---------- telemetry: 10 minutes of heartbeat state from 1000 devices ----------

function seeded(seed: number) {
  let s = seed >>> 0 || 1
  return () => ((s = (Math.imul(s ^ (s >>> 15), 2246822519) + 0x9e3779b9) >>> 0) / 4294967296)
}

interface Device {
  state: { [key: string]: Json }
  rnd: () => number
}

function makeDevice(i: number): Device {
  const rnd = seeded(i + 1)
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('')
  const replicas: Record<string, Json> = {}
  for (let r = 0; r < 4; r++) replicas[`svc-${r}#${i % 7}`] = { module: `sha256:${hex(64)}`, version: 1 + Math.floor(rnd() * 5), state: 'running', memoryMb: 128 * (1 + r), startedAt: new Date(1_763_870_400_000 - rnd() * 86_400_000).toISOString() }
  return {
    rnd,
    state: {
      id: `edge-${String(i).padStart(5, '0')}`,
      region: ['us-west-2', 'us-east-1', 'eu-west-1', 'ap-south-1'][i % 4]!,
      zone: `z${i % 3}`,
      labels: { tier: 'edge', owner: 'ops', site: `site-${i % 40}`, rack: `r${i % 12}` },
      hardware: { cpuModel: 'ARM Cortex-A78AE', cores: 8, memoryMb: 16384, gpus: i % 5 === 0 ? 1 : 0, diskGb: 256 },
      software: { agent: '4.0.0', protocol: '4.0.0', os: 'Debian 12', kernel: '6.1.0-27-arm64', wasmRuntime: 'V8 11.3' },
      replicas,
      metrics: { load: 0.3, memoryUsedMb: 4096, rttMs: 12.5, netInKbps: 800, netOutKbps: 300, requests: 0, errors: 0, temperatureC: 48 },
    },
  }
}

/** One 2-second tick: load and traffic drift, counters grow, now and then a replica is updated. */
function tick(d: Device): void {
  const m = d.state.metrics as Record<string, number>
  const r = d.rnd
  m.load = round(Math.min(1, Math.max(0, m.load! + (r() - 0.5) * 0.06)), 2)
  if (r() < 0.3) m.memoryUsedMb = Math.round(m.memoryUsedMb! + (r() - 0.5) * 64)
  m.rttMs = round(Math.max(1, m.rttMs! + (r() - 0.5) * 2), 1)
  m.netInKbps = Math.round(m.netInKbps! * (0.9 + r() * 0.2))
  m.netOutKbps = Math.round(m.netOutKbps! * (0.9 + r() * 0.2))
  m.requests = m.requests! + Math.floor(r() * 200)
  if (r() < 0.02) m.errors = m.errors! + 1
  if (r() < 0.1) m.temperatureC = Math.round(m.temperatureC! + (r() - 0.5) * 4)
  if (r() < 0.005) {
    const replicas = d.state.replicas as Record<string, { version: number; startedAt: string }>
    const key = Object.keys(replicas)[Math.floor(r() * 4)]!
    replicas[key] = { ...replicas[key]!, version: replicas[key]!.version + 1, startedAt: new Date(1_763_870_400_000 + r() * 600_000).toISOString() }
  }
}

/**
 * Bytes counted as they go on the wire, with the link's own state-sync code: ours are whole sealed
 * v4 frames (32-byte header, 16-byte tag) for each state and for each acknowledgement coming back;
 * the baseline is one plain JSON line per state.
 */
function telemetryFigures() {
  const DEVICES = 1000
  const TICKS = 300 // 10 minutes at one state every 2 s
  const FRAME = HEADER_BYTES + TAG_BYTES
  let plainBytes = 0
  let sentBytes = 0
  let beforeCompression = 0
  let afterCompression = 0
  for (let i = 0; i < DEVICES; i++) {
    const d = makeDevice(i)
    const sender = new StateSender()
    const receiver = new StateReceiver()
    const chooser = new CompressionChooser()
    for (let t = 0; t < TICKS; t++) {
      if (t > 0) tick(d)
      plainBytes += Buffer.byteLength(JSON.stringify(d.state)) + 1
      const m = sender.next(d.state)
      // What the link would do with it: the chooser compresses a large whole state (deltas are already deflated).
      const packed = chooser.choose(m.payload, true).bytes
      beforeCompression += m.delta ? Buffer.byteLength(JSON.stringify(d.state)) : m.payload.length
      afterCompression += packed.length
      sentBytes += FRAME + packed.length
      const applied = receiver.apply(m.id, m.delta, m.payload)
      if ('lost' in applied) throw new Error('a delta lost its base in the simulation')
      if (applied.ackNow) {
        sentBytes += FRAME + Buffer.byteLength(JSON.stringify({ state: m.id }))
        sender.acknowledged(m.id)
      }
    }
  }
  return { plainBytes, sentBytes, saved: 1 - sentBytes / plainBytes, compressionRatio: beforeCompression / afterCompression }
}

async function waitUntil(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}
