/**
 * A live fleet on one machine: N real `dwcp agent` processes, each with a data folder of its own (as
 * on a separate edge device), varied regions and capacities, connected to the console of this data
 * folder. `dwcp fleet demo` runs it; an agent enrolled by an earlier demo comes back by its key.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { cliLauncher } from './paths'
import type { ProtocolConsole } from './protocol'

export interface DemoAgentSpec {
  name: string
  region: string
  lat: number
  lon: number
  cpu: number
  memoryMb: number
  gpu: boolean
  bandwidthMbps: number
  costPerHour: number
}

/** Sites the demo cycles through: cloud regions and edge sites with their coordinates. */
const SITES = [
  { region: 'us-west-2', lat: 45.6, lon: -121.2 },
  { region: 'us-east-1', lat: 38.9, lon: -77.4 },
  { region: 'eu-west-1', lat: 53.3, lon: -6.3 },
  { region: 'eu-central-1', lat: 50.1, lon: 8.7 },
  { region: 'ap-northeast-1', lat: 35.7, lon: 139.7 },
  { region: 'ap-southeast-1', lat: 1.35, lon: 103.8 },
  { region: 'sa-east-1', lat: -23.5, lon: -46.6 },
  { region: 'us-west-2', lat: 37.8, lon: -122.4 },
] as const

const SIZES = [
  { cpu: 2, memoryMb: 4096, bandwidthMbps: 100, costPerHour: 0.05 },
  { cpu: 4, memoryMb: 8192, bandwidthMbps: 500, costPerHour: 0.12 },
  { cpu: 8, memoryMb: 16384, bandwidthMbps: 1000, costPerHour: 0.3 },
  { cpu: 16, memoryMb: 32768, bandwidthMbps: 10000, costPerHour: 0.85 },
] as const

/** Deterministic: the same N gives the same fleet, so a second demo finds its agents enrolled. */
export function demoAgentSpecs(count: number): DemoAgentSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const site = SITES[i % SITES.length]!
    const size = SIZES[(i * 3 + Math.floor(i / SITES.length)) % SIZES.length]!
    // A little spread, so agents of one site are not drawn on one point.
    const jitter = (k: number) => Math.round(Math.sin(i * 7.1 + k) * 80) / 100
    return {
      name: `demo-edge-${String(i + 1).padStart(3, '0')}`,
      region: site.region,
      lat: Math.round((site.lat + jitter(1)) * 100) / 100,
      lon: Math.round((site.lon + jitter(2)) * 100) / 100,
      ...size,
      gpu: size.cpu >= 8 && i % 2 === 0,
    }
  })
}

/**
 * One-time tokens for the demo agents that are not enrolled yet, by name (an enrolled one comes back
 * by its key). Issued up front, so a caller can close its host before the agents run.
 */
export function demoEnrolmentTokens(protocol: Pick<ProtocolConsole, 'enrolled' | 'issueToken'>, count: number): Map<string, string> {
  const enrolled = new Set(protocol.enrolled().map((e) => e.name))
  return new Map(demoAgentSpecs(count).filter((s) => !enrolled.has(s.name)).map((s) => [s.name, protocol.issueToken(10).token]))
}

export interface DemoAgent {
  spec: DemoAgentSpec
  child: ChildProcess
}

export interface DemoFleetOptions {
  /** The data folder of the console: each agent's folder is `demo-agents/<name>` under it. */
  home: string
  /** The console's agent address, HOST:PORT. */
  address: string
  count: number
  /** One-time tokens for the agents not enrolled yet, by name (demoEnrolmentTokens). */
  tokens: ReadonlyMap<string, string>
  /** Every line an agent prints, prefixed with its name. */
  onLine?(agent: DemoAgentSpec, line: string): void
  onExit?(agent: DemoAgentSpec, code: number | null, signal: NodeJS.Signals | null): void
}

export function startDemoFleet(o: DemoFleetOptions): { agents: DemoAgent[]; stop(): Promise<void> } {
  const agents = demoAgentSpecs(o.count).map((spec) => startOne(spec, o))
  return {
    agents,
    async stop() {
      await Promise.all(
        agents.map(
          (a) =>
            new Promise<void>((resolve) => {
              if (a.child.exitCode !== null || a.child.signalCode !== null) return resolve()
              a.child.once('exit', () => resolve())
              a.child.kill('SIGTERM')
            }),
        ),
      )
    },
  }
}

function startOne(spec: DemoAgentSpec, o: DemoFleetOptions): DemoAgent {
  const home = join(o.home, 'demo-agents', spec.name)
  mkdirSync(home, { recursive: true, mode: 0o700 })
  const token = o.tokens.get(spec.name)
  const args = [
    cliLauncher(), 'agent', '--console', o.address, '--name', spec.name, '--region', spec.region,
    '--cpu', String(spec.cpu), '--memory-mb', String(spec.memoryMb), '--lat', String(spec.lat), '--lon', String(spec.lon),
    '--bandwidth-mbps', String(spec.bandwidthMbps), '--cost-per-hour', String(spec.costPerHour),
    ...(spec.gpu ? ['--gpu'] : []), ...(token ? ['--token', token] : []),
  ]
  const child = spawn(process.execPath, args, { env: { ...process.env, DWCP_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) o.onLine?.(spec, line)
  }
  child.stdout!.on('data', lines)
  child.stderr!.on('data', lines)
  child.once('exit', (code, signal) => o.onExit?.(spec, code, signal))
  return { spec, child }
}
