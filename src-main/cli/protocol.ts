/**
 * `dwcp protocol …` (features, negotiate, decode, token, allow-v3, status, forget) and `dwcp agent`:
 * an edge device is this same host without a window, connected to a console.
 */
import { Command, CommanderError, Option } from 'commander'
import { agentRuntime } from '../agent-runtime'
import { createHost } from '../host'
import { defaultHome } from '../paths'
import { installProcessGuard } from '../process-guard'
import { decodeToJson, EdgeAgent, FRAME_KINDS, parseHex, zstdReady, type FrameKind } from '../protocol'
import { call, printJson, withHost } from './shared'

const usage = (message: string) => new CommanderError(2, 'dwcp.usage', message)

export function registerProtocolCommands(program: Command): void {
  const protocol = program.command('protocol').description('the DWCP wire protocol: versions, features, frames, agent enrolment')

  protocol
    .command('features')
    .description('the protocol versions and features this console speaks')
    .option('--json', 'one JSON object')
    .action((o: { json?: boolean }) =>
      withHost(async (host) => {
        const f = await call(host, 'protocol.features', {})
        if (o.json) return printJson(f)
        process.stdout.write(`versions: ${f.versions.join(', ')}\n`)
        for (const feature of f.features) process.stdout.write(`  ${feature.name.padEnd(22)} ${feature.version.padEnd(7)} ${feature.description}\n`)
      }),
    )

  protocol
    .command('negotiate')
    .description('the version this console chooses from a peer’s list (prints it)')
    .argument('<versions...>', 'the peer’s versions, e.g. 3.0.0 3.1.0 4.0.0')
    .option('--json', 'the version and agreed features as JSON')
    .action((versions: string[], o: { json?: boolean }) =>
      withHost(async (host) => {
        const r = await call(host, 'protocol.negotiate', { versions })
        if (o.json) return printJson(r)
        process.stdout.write(`${r.version}\n`)
      }),
    )

  protocol
    .command('decode')
    .description('decode one frame given in hex: a v4 frame, a v3 UDP frame, an HDE v3 container or a v3 federation message')
    .argument('<hex>', 'the bytes in hex (spaces allowed)')
    .addOption(new Option('--as <kind>', 'how to read the bytes (default: guessed from the first bytes)').choices([...FRAME_KINDS]))
    .option('--json', 'one JSON line (the default; kept for scripts)')
    .action(async (hex: string, o: { as?: FrameKind; json?: boolean }) => {
      // No host needed: decoding is pure. Malformed input is one JSON line too, with a non-zero exit.
      await zstdReady
      try {
        printJson(decodeToJson(parseHex(hex), o.as))
      } catch (err) {
        printJson({ error: (err as Error).message })
        process.exitCode = 1
      }
    })

  protocol
    .command('token')
    .description('issue a one-time enrolment token for a new agent')
    .option('--minutes <n>', 'how long it stays valid (default 60)', (v) => positiveInt(v, '--minutes'))
    .option('--json', 'one JSON object')
    .action((o: { minutes?: number; json?: boolean }) =>
      withHost(async (host) => {
        const t = await call(host, 'protocol.token', { ...(o.minutes ? { minutes: o.minutes } : {}) })
        if (o.json) return printJson(t)
        process.stdout.write(`${t.token}\n`)
        process.stderr.write(`valid until ${t.expiresAt}, for one agent: dwcp agent --console HOST:PORT --token ${t.token} --name NAME …\n`)
      }),
    )

  protocol
    .command('allow-v3')
    .description('allow (true) or refuse (false) unencrypted DWCP v3 agents')
    .argument('<allow>', 'true or false')
    .action((allow: string) =>
      withHost(async (host) => {
        if (allow !== 'true' && allow !== 'false') throw usage('allow-v3 takes true or false')
        const r = await call(host, 'protocol.allowV3', { allow: allow === 'true' })
        process.stdout.write(r.allowV3 ? 'v3 agents are allowed: their links are NOT encrypted\n' : 'v3 agents are refused\n')
      }),
    )

  protocol
    .command('status')
    .description('this console’s identity, enrolled agents and v3 permission (live links: GET /v4/protocol/status of the running console)')
    .option('--json', 'one JSON object')
    .action((o: { json?: boolean }) =>
      withHost(async (host) => {
        const s = await call(host, 'protocol.status', {})
        if (o.json) return printJson(s)
        process.stdout.write(`console fingerprint ${s.fingerprint}\nversions ${s.versions.join(', ')}; v3 agents ${s.allowV3 ? 'allowed (unencrypted)' : 'refused'}${s.pinnedVersion ? `; pinned to ${s.pinnedVersion}` : ''}\n`)
        for (const e of s.enrolled) process.stdout.write(`  ${e.name.padEnd(24)} ${e.fingerprint === 'v3-unauthenticated' ? 'v3, no key' : `${e.fingerprint.slice(0, 16)}…`}  enrolled ${e.enrolledAt}\n`)
        if (!s.enrolled.length) process.stdout.write('  no agents enrolled yet: `dwcp protocol token` issues a token for one\n')
      }),
    )

  protocol
    .command('forget')
    .description('forget an enrolled agent: its key is no longer accepted')
    .argument('<name>')
    .action((name: string) =>
      withHost(async (host) => {
        await call(host, 'protocol.forget', { name })
        process.stdout.write(`${name} forgotten; it needs a new token to enrol again\n`)
      }),
    )

  program
    .command('agent')
    .description('run this machine as an edge agent of a console: enrol, heartbeat, run the WASM workloads it is sent')
    .requiredOption('--console <host:port>', 'the console’s agent address (printed by `dwcp serve`)')
    .option('--token <token>', 'one-time enrolment token (first connection only)')
    .requiredOption('--name <name>', 'this agent’s name, e.g. edge-001')
    .option('--region <region>', 'region', 'local')
    .option('--cpu <n>', 'CPU cores offered', (v) => positiveNumber(v, '--cpu'), 1)
    .option('--memory-mb <n>', 'memory offered, MB', (v) => positiveInt(v, '--memory-mb'), 1024)
    .option('--gpu', 'this device has a GPU')
    .option('--lat <deg>', 'latitude, for latency-aware placement', (v) => boundedNumber(v, '--lat', 90))
    .option('--lon <deg>', 'longitude', (v) => boundedNumber(v, '--lon', 180))
    .option('--bandwidth-mbps <n>', 'uplink bandwidth', (v) => positiveNumber(v, '--bandwidth-mbps'))
    .option('--cost-per-hour <n>', 'cost of this device per hour', (v) => positiveNumber(v, '--cost-per-hour'))
    .addOption(new Option('--protocol <version>', 'wire protocol to speak').choices(['v4', 'v3']).default('v4'))
    .action(async (o: AgentCliOptions) => {
      const [consoleHost, portText] = splitAddress(o.console)
      const host = createHost({ home: defaultHome(), shell: 'agent' })
      const runtime = agentRuntime(host, o.cpu)
      const agent = new EdgeAgent({
        host: consoleHost,
        port: Number(portText),
        name: o.name,
        ...(o.token ? { token: o.token } : {}),
        home: host.home,
        protocol: o.protocol,
        capabilities: {
          region: o.region,
          cpu: o.cpu,
          memoryMb: o.memoryMb,
          gpus: o.gpu ? 1 : 0,
          ...(o.lat !== undefined ? { lat: o.lat } : {}),
          ...(o.lon !== undefined ? { lon: o.lon } : {}),
          ...(o.bandwidthMbps !== undefined ? { bandwidthMbps: o.bandwidthMbps } : {}),
          ...(o.costPerHour !== undefined ? { costPerHour: o.costPerHour } : {}),
        },
        onRequest: runtime.onRequest,
        state: runtime.state,
        log: (line) => process.stderr.write(`${line}\n`),
      })
      installProcessGuard({ name: 'dwcp agent', home: host.home, logger: () => host.log, close: async () => (agent.stop('agent stopping after an internal error'), await host.close()) })
      const stop = async () => {
        agent.stop('agent stopped by its operator')
        await host.close()
        process.exit(0)
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      try {
        await agent.run((r) => {
          const how = r.agreement.version.startsWith('3.') ? 'DWCP 3.0.0, UNENCRYPTED' : `DWCP ${r.agreement.version}, ${r.link.cipherSuite}`
          const proof = r.auth === 'kem' ? ', resumed: the console proved itself with its ML-KEM key' : r.auth === 'signature' ? ', the console signed with its ML-DSA key' : ''
          process.stdout.write(`connected to ${o.console} as ${r.agentId} (${how}); handshake ${r.handshakeMs.toFixed(1)} ms${proof}\n`)
        })
      } finally {
        await host.close()
      }
    })
}

interface AgentCliOptions {
  console: string
  token?: string
  name: string
  region: string
  cpu: number
  memoryMb: number
  gpu?: boolean
  lat?: number
  lon?: number
  bandwidthMbps?: number
  costPerHour?: number
  protocol: 'v4' | 'v3'
}

function splitAddress(text: string): [string, string] {
  const m = /^(.+):(\d{1,5})$/.exec(text)
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw usage(`--console must be HOST:PORT (got ${JSON.stringify(text)})`)
  return [m[1]!.replace(/^\[|\]$/g, ''), m[2]!]
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw usage(`${flag} must be a whole number above 0 (got ${JSON.stringify(value)})`)
  return n
}

function positiveNumber(value: string, flag: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw usage(`${flag} must be a number above 0 (got ${JSON.stringify(value)})`)
  return n
}

function boundedNumber(value: string, flag: string, bound: number): number {
  const n = Number(value)
  if (!Number.isFinite(n) || Math.abs(n) > bound) throw usage(`${flag} must be between -${bound} and ${bound} (got ${JSON.stringify(value)})`)
  return n
}
