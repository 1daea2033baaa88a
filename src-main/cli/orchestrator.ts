/**
 * `dwcp edge register|list|place|simulate|rebalance`, `dwcp deploy|deployments|scale|update|destroy|migrate`
 * and `dwcp fleet demo`: the orchestrator from the command line. Every command but `edge simulate`
 * (a pure replay of trace files, no state) is a call of the contract.
 */
import { connect } from 'node:net'
import { Command, CommanderError } from 'commander'
import type { EdgeDeployment, EdgePlacement, EdgeRequirements } from '../api/contract'
import { OrchestratorError, readDeviceFile, readTraceFiles, SIMULATION_POLICIES, simulate, type SimulationPolicy } from '../orchestrator'
import { InputFileError } from '../input-file'
import { demoEnrolmentTokens, startDemoFleet } from '../fleet-demo'
import { DEFAULT_AGENT_PORT } from '../protocol'
import { call, printJson, withHost } from './shared'

const usage = (message: string) => new CommanderError(2, 'dwcp.usage', message)
const out = (line: string): void => void process.stdout.write(`${line}\n`)

/** A file the engine refused is the operator's mistake: a usage error (exit 2) with the engine's words. */
function asUsage<T>(read: () => T): T {
  try {
    return read()
  } catch (err) {
    if (err instanceof InputFileError || err instanceof OrchestratorError) throw usage(err.message)
    throw err
  }
}
const STRATEGY_NAMES = ['latency', 'capacity', 'bandwidth', 'cost', 'intelligent'] as const
type StrategyName = (typeof STRATEGY_NAMES)[number]

/** `8GB`, `512MB`, `1.5GiB`, `2048` (MB) → megabytes. */
export function parseMemory(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(k|m|g|t)?(i?b)?$/i.exec(value.trim())
  if (!m) throw usage(`--memory takes a size like 512MB or 8GB, not "${value}"`)
  const unit = (m[2] ?? 'm').toLowerCase()
  const mb = Number(m[1]) * { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 }[unit as 'k']!
  if (!(mb >= 1) || !Number.isFinite(mb)) throw usage(`--memory must be at least 1MB, not "${value}"`)
  return Math.round(mb)
}

function parseNumber(flag: string, { min = 0, max = Infinity, integer = false } = {}) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw usage(`${flag} takes ${integer ? 'a whole number' : 'a number'} ≥ ${min}, not "${value}"`)
    if (n > max) throw usage(`${flag} is at most ${max}, not ${value}`)
    return n
  }
}

function parseStrategy(value: string): StrategyName {
  if (!(STRATEGY_NAMES as readonly string[]).includes(value)) throw usage(`--strategy is one of ${STRATEGY_NAMES.join(', ')}, not "${value}"`)
  return value as StrategyName
}

function parseOrigin(value: string): { lat: number; lon: number } {
  const [lat, lon] = value.split(',').map(Number)
  if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) throw usage(`--origin takes lat,lon like 37.77,-122.42, not "${value}"`)
  return { lat, lon }
}

interface RequirementFlags {
  cpu?: number
  memory?: number
  gpus?: number
  gpuModel?: string
  region?: string
  cluster?: string[]
  maxLatency?: number
  costCeiling?: number
  slice?: 'eMBB' | 'URLLC' | 'mMTC'
  dataSize?: number
  origin?: { lat: number; lon: number }
}

function requirementOptions(command: Command): Command {
  return command
    .option('--cpu <cores>', 'CPU cores per replica', parseNumber('--cpu'))
    .option('--memory <size>', 'memory per replica, e.g. 512MB or 8GB', parseMemory)
    .option('--gpus <n>', 'whole GPUs per replica', parseNumber('--gpus', { integer: true }))
    .option('--gpu-model <model>', 'accepted GPU model(s), separated by |')
    .option('--region <region>', 'only devices in this region')
    .option('--cluster <cluster...>', 'only devices in these clusters')
    .option('--max-latency <ms>', 'latency budget; ≤ 50 ms keeps replicas on the edge', parseNumber('--max-latency', { min: 0.001 }))
    .option('--cost-ceiling <usd>', 'highest price per device-hour', parseNumber('--cost-ceiling'))
    .option('--slice <slice>', '5G slice: eMBB, URLLC or mMTC')
    .option('--data-size <mb>', 'data each replica moves, for the bandwidth estimate', parseNumber('--data-size'))
    .option('--origin <lat,lon>', 'where the users are, for latency by distance', parseOrigin)
}

function requirements(f: RequirementFlags): EdgeRequirements {
  if (f.slice !== undefined && !['eMBB', 'URLLC', 'mMTC'].includes(f.slice)) throw usage(`--slice is eMBB, URLLC or mMTC, not "${f.slice}"`)
  return {
    ...(f.cpu !== undefined ? { cpu: f.cpu } : {}),
    ...(f.memory !== undefined ? { memoryMb: f.memory } : {}),
    ...(f.gpus !== undefined ? { gpus: f.gpus } : {}),
    ...(f.gpuModel ? { gpuModels: f.gpuModel.split('|') } : {}),
    ...(f.region ? { region: f.region } : {}),
    ...(f.cluster ? { clusters: f.cluster } : {}),
    ...(f.maxLatency !== undefined ? { maxLatencyMs: f.maxLatency } : {}),
    ...(f.costCeiling !== undefined ? { costCeiling: f.costCeiling } : {}),
    ...(f.slice ? { slice: f.slice } : {}),
    ...(f.dataSize !== undefined ? { dataSizeMb: f.dataSize } : {}),
    ...(f.origin ? { origin: f.origin } : {}),
  }
}

function printPlacement(p: EdgePlacement): void {
  for (const r of p.replicas) {
    out(`replica ${r.replica}  ${r.location.padEnd(5)}  ${r.deviceId}  ${r.estimatedLatencyMs} ms  score ${r.score.total}`)
    out(`  ${r.reason}`)
  }
}

function printDeployment(d: EdgeDeployment): void {
  out(`${d.name}  ${d.module} v${d.version}  ${d.instances.length}/${d.replicas} replicas  ${d.state}  (${d.strategy})`)
  out(`  ${d.message}`)
  for (const r of d.instances) out(`  #${r.replica}  ${r.state.padEnd(7)}  ${r.deviceId.padEnd(20)} ${r.region}/${r.cluster}  ${r.location}  ${r.estimatedLatencyMs} ms  v${r.version}`)
}

export function registerOrchestratorCommands(program: Command): void {
  const edge = program.command('edge').description('edge devices: register, list, place workloads, replay a cluster trace, rebalance')

  edge
    .command('register')
    .description('register a device (or a JSON array of devices with --file)')
    .option('--file <devices.json>', 'a JSON array of devices ({name, lat, lon, region, cpu, memoryMb, bandwidthMbps, costPerHour, …})')
    .option('--id <id>', 'device id (default: its name)')
    .option('--name <name>', 'device name')
    .option('--lat <deg>', 'latitude', parseNumber('--lat', { min: -90 }))
    .option('--lon <deg>', 'longitude', parseNumber('--lon', { min: -180 }))
    .option('--region <region>', 'region, e.g. us-west-2')
    .option('--cluster <cluster>', 'cluster (federation); default: the region')
    .option('--tier <tier>', 'edge or cloud (default edge)')
    .option('--cpu <cores>', 'CPU cores', parseNumber('--cpu'))
    .option('--memory <size>', 'memory, e.g. 8GB', parseMemory)
    .option('--gpus <n>', 'GPUs', parseNumber('--gpus', { integer: true }))
    .option('--gpu-model <model>', 'GPU model')
    .option('--bandwidth <mbps>', 'network bandwidth in Mbps', parseNumber('--bandwidth'))
    .option('--slice <slice>', '5G slice: eMBB, URLLC or mMTC')
    .option('--cost <usd>', 'price per hour', parseNumber('--cost'))
    .option('--json', 'the registered devices as JSON')
    .action((o: Record<string, unknown>) =>
      withHost(async (host) => {
        let input: Parameters<typeof call<'edge.register'>>[2]
        if (o.file) {
          input = asUsage(() => readDeviceFile(String(o.file))) as never
        } else {
          const missing = ['name', 'lat', 'lon', 'region', 'cpu', 'memory', 'bandwidth', 'cost'].filter((k) => o[k] === undefined)
          if (missing.length) throw usage(`dwcp edge register needs ${missing.map((m) => `--${m}`).join(', ')} (or --file)`)
          input = {
            ...(o.id ? { id: String(o.id) } : {}),
            name: String(o.name),
            lat: o.lat as number,
            lon: o.lon as number,
            region: String(o.region),
            ...(o.cluster ? { cluster: String(o.cluster) } : {}),
            ...(o.tier ? { tier: o.tier as 'edge' } : {}),
            cpu: o.cpu as number,
            memoryMb: o.memory as number,
            ...(o.gpus !== undefined ? { gpus: o.gpus as number } : {}),
            ...(o.gpuModel ? { gpuModel: String(o.gpuModel) } : {}),
            bandwidthMbps: o.bandwidth as number,
            ...(o.slice ? { slice: o.slice as 'eMBB' } : {}),
            costPerHour: o.cost as number,
          }
        }
        const result = await call(host, 'edge.register', input)
        if (o.json) return printJson(result)
        out(`registered ${result.registered} device${result.registered === 1 ? '' : 's'}${result.registered === 1 ? `: ${result.devices[0].id}` : ''}`)
      }),
    )

  edge
    .command('list')
    .description('devices with state, load and what is allocated')
    .option('--region <region>', 'only this region')
    .option('--state <state>', 'online, degraded or offline')
    .option('--json', 'one JSON object {total, devices}')
    .action((o: { region?: string; state?: string; json?: boolean }) =>
      withHost(async (host) => {
        if (o.state && !['online', 'degraded', 'offline'].includes(o.state)) throw usage(`--state is online, degraded or offline, not "${o.state}"`)
        const result = await call(host, 'edge.devices.list', { ...(o.region ? { region: o.region } : {}), ...(o.state ? { state: o.state as 'online' } : {}) })
        if (o.json) return printJson(result)
        if (result.total === 0) return out('no devices: `dwcp edge register` adds one')
        for (const d of result.devices) {
          out(`${d.id.padEnd(22)} ${d.state.padEnd(8)} ${d.tier.padEnd(5)} ${`${d.region}/${d.cluster}`.padEnd(26)} ${String(d.cpu).padStart(4)} cpu ${String(d.memoryMb).padStart(7)} MB  load ${Math.round(d.load * 100)}%  $${d.costPerHour}/h`)
        }
        out(`${result.total} device${result.total === 1 ? '' : 's'}`)
      }),
    )

  requirementOptions(edge.command('place').description('where replicas would go, and why (nothing is deployed)'))
    .option('--strategy <s>', `${STRATEGY_NAMES.join(', ')} (default intelligent)`, parseStrategy)
    .option('--replicas <n>', 'how many replicas', parseNumber('--replicas', { min: 1, integer: true }))
    .option('--span-clusters', 'spread replicas over clusters')
    .option('--json', 'the placement as JSON')
    .action((o: RequirementFlags & { strategy?: StrategyName; replicas?: number; spanClusters?: boolean; json?: boolean }) =>
      withHost(async (host) => {
        const p = await call(host, 'edge.place', { requirements: requirements(o), strategy: o.strategy ?? 'intelligent', replicas: o.replicas ?? 1, ...(o.spanClusters ? { spanClusters: true } : {}) })
        if (o.json) return printJson(p)
        printPlacement(p)
      }),
    )

  edge
    .command('simulate')
    .description('replay an Alibaba GPU cluster trace (cluster-trace-gpu-v2023 CSV format) through placement')
    .requiredOption('--nodes <NODES.csv>', 'machines: sn,cpu_milli,memory_mib,gpu[,model]')
    .requiredOption('--pods <PODS.csv>', 'tasks: name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time]')
    .option('--strategy <s>', `${SIMULATION_POLICIES.join(', ')}, or all (default intelligent)`)
    .option('--json', 'one JSON line per strategy')
    .action(async (o: { nodes: string; pods: string; strategy?: string; json?: boolean }) => {
      const policies = o.strategy === 'all' ? SIMULATION_POLICIES : [(o.strategy ?? 'intelligent') as SimulationPolicy]
      if (!SIMULATION_POLICIES.includes(policies[0])) throw usage(`--strategy is one of ${SIMULATION_POLICIES.join(', ')} or all, not "${o.strategy}"`)
      const { nodes, pods } = asUsage(() => readTraceFiles(o.nodes, o.pods))
      for (const policy of policies) {
        const r = simulate(nodes, pods, policy)
        if (o.json) printJson(r)
        else out(`${policy.padEnd(12)} placed ${r.placed}/${r.pods}  unplaced ${r.unplaced}  p50 ${r.place_us_p50} µs  p99 ${r.place_us_p99} µs  GPU fragmentation ${(r.gpu_fragmentation * 100).toFixed(1)}%`)
      }
    })

  edge
    .command('rebalance')
    .description('replicas that would score better elsewhere, and the gain; --apply moves them')
    .option('--name <deployment>', 'only this deployment')
    .option('--apply', 'move them')
    .option('--json', 'the report as JSON')
    .action((o: { name?: string; apply?: boolean; json?: boolean }) =>
      withHost(async (host) => {
        const r = await call(host, 'edge.rebalance', { ...(o.name ? { name: o.name } : {}), ...(o.apply ? { apply: true } : {}) })
        if (o.json) return printJson(r)
        for (const m of r.moves) out(`${m.deployment}#${m.replica}  ${m.from} → ${m.to}  score ${m.scoreBefore} → ${m.scoreAfter} (+${m.gain})`)
        out(`${r.moves.length} move${r.moves.length === 1 ? '' : 's'}${r.applied ? ' made' : ' possible'}; total gain ${r.totalGain}; mean score ${r.meanBefore} → ${r.meanAfter}`)
      }),
    )

  requirementOptions(program.command('deploy <name>').description('deploy a WASM workload: place its replicas and start them'))
    .requiredOption('--module <module>', 'a built-in workload (trivial, hash, transform, http) or sha256:<hex> of an uploaded module')
    .option('--replicas <n>', 'how many replicas (default 1)', parseNumber('--replicas', { min: 1, integer: true }))
    .option('--strategy <s>', `${STRATEGY_NAMES.join(', ')} (default intelligent)`, parseStrategy)
    .option('--span-clusters', 'spread replicas over clusters')
    .option('--json', 'the deployment as JSON')
    .action((name: string, o: RequirementFlags & { module: string; replicas?: number; strategy?: StrategyName; spanClusters?: boolean; json?: boolean }) =>
      withHost(async (host) => {
        const d = await call(host, 'edge.deployments.create', { name, module: o.module, replicas: o.replicas ?? 1, requirements: requirements(o), strategy: o.strategy ?? 'intelligent', ...(o.spanClusters ? { spanClusters: true } : {}) })
        if (o.json) return printJson(d)
        printDeployment(d)
      }),
    )

  program
    .command('deployments [name]')
    .description('deployments with their replicas')
    .option('--json', 'as JSON')
    .action((name: string | undefined, o: { json?: boolean }) =>
      withHost(async (host) => {
        const list = name ? [await call(host, 'edge.deployments.get', { name })] : await call(host, 'edge.deployments.list', {})
        if (o.json) return printJson(name ? list[0] : list)
        if (list.length === 0) return out('no deployments: `dwcp deploy NAME --module trivial` makes one')
        list.forEach(printDeployment)
      }),
    )

  program
    .command('scale <name> <replicas>')
    .description('change the number of replicas')
    .option('--json', 'the deployment as JSON')
    .action((name: string, replicas: string, o: { json?: boolean }) =>
      withHost(async (host) => {
        const d = await call(host, 'edge.deployments.scale', { name, replicas: parseNumber('replicas', { integer: true })(replicas) })
        if (o.json) return printJson(d)
        printDeployment(d)
      }),
    )

  program
    .command('update <name>')
    .description('rolling update to another module: one replica at a time, stopping at the first failed health check')
    .requiredOption('--module <module>', 'the new module')
    .option('--json', 'the deployment as JSON')
    .action((name: string, o: { module: string; json?: boolean }) =>
      withHost(async (host) => {
        const d = await call(host, 'edge.deployments.update', { name, module: o.module })
        if (o.json) return printJson(d)
        printDeployment(d)
      }),
    )

  program
    .command('destroy <name>')
    .description('stop every replica and delete the deployment')
    .action((name: string) =>
      withHost(async (host) => {
        const r = await call(host, 'edge.deployments.delete', { name })
        out(`destroyed ${r.name}: ${r.stopped} replica${r.stopped === 1 ? '' : 's'} stopped`)
      }),
    )

  program
    .command('migrate <name>')
    .description('move replicas to another region, or one replica onto a device')
    .option('--region <region>', 'target region')
    .option('--device <id>', 'target device (with --replica)')
    .option('--replica <n>', 'only this replica', parseNumber('--replica', { integer: true }))
    .option('--json', 'the deployment as JSON')
    .action((name: string, o: { region?: string; device?: string; replica?: number; json?: boolean }) =>
      withHost(async (host) => {
        if (!o.region && !o.device) throw usage('dwcp migrate needs --region or --device')
        const d = await call(host, 'edge.deployments.migrate', { name, ...(o.region ? { region: o.region } : {}), ...(o.device ? { deviceId: o.device } : {}), ...(o.replica !== undefined ? { replica: o.replica } : {}) })
        if (o.json) return printJson(d)
        printDeployment(d)
      }),
    )

  program
    .command('fleet')
    .description('a live local fleet')
    .command('demo')
    .description('start N real local agent processes with varied regions and capacities, connected to the running console of this data folder; Ctrl+C stops them')
    .option('--agents <n>', 'how many agents', parseNumber('--agents', { min: 1, max: 64, integer: true }), 6)
    .option('--console <host:port>', 'the console’s agent address (default: where the console of this data folder listens)')
    .action((o: { agents: number; console?: string }) => runFleetDemo(o))
}

async function runFleetDemo(o: { agents: number; console?: string }): Promise<void> {
  // Tokens are issued up front for agents not enrolled yet; the host is closed before the agents run.
  const { address, tokens, home } = await withHost(async (host) => {
    const address = o.console ?? host.protocol.lastAgentAddress() ?? `127.0.0.1:${DEFAULT_AGENT_PORT}`
    return { address, tokens: demoEnrolmentTokens(host.protocol, o.agents), home: host.home }
  })
  await ensureListening(address)
  out(`starting ${o.agents} agent${o.agents === 1 ? '' : 's'} for the console at ${address} (Ctrl+C stops them)`)
  let exited = 0
  const connected = new Set<string>()
  const fleet = startDemoFleet({
    home,
    address,
    count: o.agents,
    tokens,
    onLine: (spec, line) => {
      const agent = fleet?.agents.find((a) => a.spec === spec)
      out(`${spec.name} (pid ${agent?.child.pid ?? '?'}, ${spec.region}, ${spec.cpu} CPU, ${spec.memoryMb} MB${spec.gpu ? ', GPU' : ''}): ${line}`)
      if (line.startsWith('connected to ') && !connected.has(spec.name)) {
        connected.add(spec.name)
        if (connected.size === o.agents) out(`${connected.size} of ${o.agents} agents connected; they run until Ctrl+C`)
      }
    },
    onExit: (spec, code, signal) => {
      out(`${spec.name} exited (${signal ?? `code ${code}`})`)
      if (++exited === o.agents) {
        process.stderr.write('error: every demo agent has stopped\n')
        process.exit(1)
      }
    },
  })
  const stop = () => void fleet.stop().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  await new Promise<never>(() => {})
}

/** A clear error before spawning anything when no console listens there. */
function ensureListening(address: string): Promise<void> {
  const m = /^(.+):(\d+)$/.exec(address)
  if (!m) throw usage(`--console takes HOST:PORT, not "${address}"`)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: m[1]!, port: Number(m[2]) })
    socket.once('connect', () => (socket.destroy(), resolve()))
    socket.once('error', () => reject(new Error(`no console is listening for agents at ${address}: start it first (\`dwcp serve\`, or the app), or pass --console HOST:PORT`)))
  })
}
