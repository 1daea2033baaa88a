/** Calls and events of the Orchestrator (issue #6): edge devices, explained placement, deployments, rebalance. */
import { z } from 'zod'
import { def } from './base'

export const Strategy = z.enum(['latency', 'capacity', 'bandwidth', 'cost', 'intelligent'])
const Slice = z.enum(['eMBB', 'URLLC', 'mMTC'])
const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, '1–128 letters, digits and . _ : -')
export const DeploymentName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a deployment name is 1–63 lowercase letters, digits and -')
/** The most replicas one deployment may have. */
export const MAX_REPLICAS = 1000
export const ModuleRef = z.string().regex(/^([a-z][a-z0-9_-]{0,63}|sha256:[0-9a-f]{64})$/, 'a built-in workload name or sha256:<64 hex>')
/** GET routes carry their input in the query string, where everything is text. */
const QueryNumber = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
const QueryBool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])

export const EdgeDeviceInput = z
  .object({
    id: Name.optional(),
    name: Name,
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    region: Name,
    cluster: Name.optional(),
    tier: z.enum(['edge', 'cloud']).optional(),
    cpu: z.number().positive().max(4096),
    memoryMb: z.number().int().positive(),
    gpus: z.number().int().min(0).max(64).optional(),
    gpuModel: z.string().max(64).nullable().optional(),
    bandwidthMbps: z.number().min(0),
    slice: Slice.nullable().optional(),
    costPerHour: z.number().min(0),
    rttMs: z.number().min(0).nullable().optional(),
  })
  .strict()

export const EdgeDevice = z.object({
  id: z.string(),
  name: z.string(),
  lat: z.number(),
  lon: z.number(),
  region: z.string(),
  cluster: z.string(),
  tier: z.enum(['edge', 'cloud']),
  cpu: z.number(),
  memoryMb: z.number(),
  gpus: z.number(),
  gpuModel: z.string().nullable(),
  bandwidthMbps: z.number(),
  slice: Slice.nullable(),
  costPerHour: z.number(),
  state: z.enum(['online', 'degraded', 'offline']),
  load: z.number(),
  rttMs: z.number().nullable(),
  lastSeen: z.string().nullable(),
  source: z.enum(['api', 'agent', 'trace']),
  used: z.object({ cpu: z.number(), memoryMb: z.number(), gpuMilli: z.number() }),
})
export type EdgeDevice = z.infer<typeof EdgeDevice>

/** What each replica needs; every field but origin and dataSizeMb is a hard constraint. */
export const EdgeRequirements = z
  .object({
    cpu: z.number().min(0).max(4096).optional(),
    memoryMb: z.number().int().min(0).optional(),
    gpus: z.number().int().min(0).max(64).optional(),
    gpuMilli: z.number().int().min(1).max(1000).optional(),
    gpuModels: z.array(z.string().max(64)).max(16).optional(),
    region: Name.optional(),
    clusters: z.array(Name).max(64).optional(),
    maxLatencyMs: z.number().positive().optional(),
    costCeiling: z.number().min(0).optional(),
    slice: Slice.optional(),
    dataSizeMb: z.number().min(0).optional(),
    origin: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).strict().optional(),
  })
  .strict()
export type EdgeRequirements = z.infer<typeof EdgeRequirements>

const Score = z.object({ latency: z.number(), capacity: z.number(), bandwidth: z.number(), cost: z.number(), total: z.number() })

export const EdgeReplicaPlacement = z.object({
  replica: z.number().int(),
  location: z.enum(['edge', 'cloud']),
  deviceId: z.string(),
  deviceName: z.string(),
  region: z.string(),
  cluster: z.string(),
  estimatedLatencyMs: z.number(),
  latency: z.object({ geoMs: z.number(), rttMs: z.number() }),
  score: Score,
  reason: z.string(),
})
export type EdgeReplicaPlacement = z.infer<typeof EdgeReplicaPlacement>

export const EdgePlacement = z.object({ strategy: Strategy, replicas: z.array(EdgeReplicaPlacement), candidatesScanned: z.number().int() })
export type EdgePlacement = z.infer<typeof EdgePlacement>

export const EdgeDeployment = z.object({
  name: z.string(),
  module: z.string(),
  version: z.number().int(),
  replicas: z.number().int(),
  strategy: Strategy,
  /** As the engine keeps them: CPU in millicores. */
  requirements: EdgeRequirements.omit({ cpu: true }).extend({ cpuMilli: z.number().optional() }),
  spanClusters: z.boolean(),
  state: z.enum(['running', 'placed', 'degraded', 'updating', 'failed']),
  message: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  instances: z.array(
    z.object({
      replica: z.number().int(),
      deviceId: z.string(),
      deviceName: z.string(),
      region: z.string(),
      cluster: z.string(),
      location: z.enum(['edge', 'cloud']),
      state: z.enum(['starting', 'running', 'placed', 'failed', 'stopped']),
      module: z.string(),
      version: z.number().int(),
      estimatedLatencyMs: z.number(),
      score: z.number(),
      reason: z.string(),
      updatedAt: z.string(),
    }),
  ),
})
export type EdgeDeployment = z.infer<typeof EdgeDeployment>

export const EdgeRebalance = z.object({
  applied: z.boolean(),
  moves: z.array(z.object({ deployment: z.string(), replica: z.number().int(), from: z.string(), to: z.string(), scoreBefore: z.number(), scoreAfter: z.number(), gain: z.number() })),
  totalGain: z.number(),
  meanBefore: z.number(),
  meanAfter: z.number(),
})

export const orchestratorMethods = {
  'edge.devices.list': def({
    summary: 'Registered edge and cloud devices with capacity, network, price, state and live load',
    input: z.object({ region: Name.optional(), state: z.enum(['online', 'degraded', 'offline']).optional(), cluster: Name.optional(), limit: QueryNumber.optional(), offset: QueryNumber.optional() }).strict(),
    output: z.object({ total: z.number().int(), devices: z.array(EdgeDevice) }),
    rest: { method: 'GET', path: '/v4/edge/devices' },
  }),
  'edge.register': def({
    summary: 'Register or update devices (one, or a batch written in one transaction)',
    input: z.union([EdgeDeviceInput, z.object({ devices: z.array(EdgeDeviceInput).min(1).max(100_000) }).strict()]),
    output: z.object({ registered: z.number().int(), devices: z.array(EdgeDevice) }),
    rest: { method: 'POST', path: '/v4/edge/register' },
    maxBodyBytes: 64 * 1024 * 1024,
  }),
  'edge.heartbeat': def({
    summary: 'Live figures of devices: load 0–1 and measured round trip; a silent device is failed after 3.5 s',
    input: z.object({ beats: z.array(z.object({ id: Name, load: z.number().min(0).max(1).optional(), rttMs: z.number().min(0).optional() }).strict()).min(1).max(100_000) }).strict(),
    output: z.object({ accepted: z.number().int() }),
    rest: { method: 'POST', path: '/v4/edge/heartbeat' },
  }),
  'edge.devices.remove': def({ summary: 'Forget a device that holds no replicas', input: z.object({ id: Name }).strict(), output: EdgeDevice, rest: { method: 'POST', path: '/v4/edge/devices/remove' } }),
  'edge.place': def({
    summary: 'Where replicas of a workload would go, with each one’s latency estimate, score breakdown and reason (nothing is deployed)',
    input: z.object({ requirements: EdgeRequirements.default({}), strategy: Strategy.default('intelligent'), replicas: z.number().int().min(1).max(MAX_REPLICAS).default(1), spanClusters: z.boolean().optional() }).strict(),
    output: EdgePlacement,
    rest: { method: 'POST', path: '/v4/edge/workload/place' },
  }),
  'edge.deployments.list': def({ summary: 'Deployments with their replicas', input: z.object({}).strict(), output: z.array(EdgeDeployment), rest: { method: 'GET', path: '/v4/edge/deployments' } }),
  'edge.deployments.get': def({ summary: 'One deployment with its replicas', input: z.object({ name: DeploymentName }).strict(), output: EdgeDeployment, rest: { method: 'GET', path: '/v4/edge/deployment' } }),
  'edge.deployments.create': def({
    summary: 'Deploy a WASM workload: place its replicas and start them',
    input: z.object({ name: DeploymentName, module: ModuleRef, replicas: z.number().int().min(1).max(MAX_REPLICAS), requirements: EdgeRequirements.default({}), strategy: Strategy.default('intelligent'), spanClusters: z.boolean().optional() }).strict(),
    output: EdgeDeployment,
    rest: { method: 'POST', path: '/v4/edge/deployments' },
  }),
  'edge.deployments.scale': def({ summary: 'Change the number of replicas', input: z.object({ name: DeploymentName, replicas: z.number().int().min(0).max(MAX_REPLICAS) }).strict(), output: EdgeDeployment, rest: { method: 'POST', path: '/v4/edge/deployments/scale' } }),
  'edge.deployments.update': def({
    summary: 'Rolling update to another module: one replica at a time, health-checked, stopping at the first failure',
    input: z.object({ name: DeploymentName, module: ModuleRef }).strict(),
    output: EdgeDeployment,
    rest: { method: 'POST', path: '/v4/edge/deployments/update' },
  }),
  'edge.deployments.migrate': def({
    summary: 'Move replicas to another region, or one replica onto a given device',
    input: z.object({ name: DeploymentName, region: Name.optional(), deviceId: Name.optional(), replica: z.number().int().min(0).optional() }).strict(),
    output: EdgeDeployment,
    rest: { method: 'POST', path: '/v4/edge/deployments/migrate' },
  }),
  'edge.deployments.delete': def({ summary: 'Stop every replica and delete the deployment', input: z.object({ name: DeploymentName }).strict(), output: z.object({ name: z.string(), stopped: z.number().int() }), rest: { method: 'POST', path: '/v4/edge/deployments/delete' } }),
  'edge.rebalance': def({
    summary: 'Find replicas that would score better elsewhere under their deployment’s strategy; move them when apply is true',
    input: z.object({ name: DeploymentName.optional(), apply: QueryBool.optional(), minGain: z.number().min(0).max(1).optional() }).strict(),
    output: EdgeRebalance,
    rest: { method: 'POST', path: '/v4/edge/rebalance' },
  }),
  'edge.demo.start': def({
    summary: 'Start a demo fleet: N real local agent processes with varied regions and capacities, connected to this console',
    input: z.object({ agents: z.number().int().min(1).max(32).default(6) }).strict(),
    output: z.object({ address: z.string(), agents: z.array(z.string()) }),
    rest: { method: 'POST', path: '/v4/edge/demo/start' },
  }),
  'edge.demo.stop': def({
    summary: 'Stop the demo fleet this console started (its devices go offline; their enrolments stay)',
    input: z.object({}).strict(),
    output: z.object({ stopped: z.number().int() }),
    rest: { method: 'POST', path: '/v4/edge/demo/stop' },
  }),
} as const

export const orchestratorEvents = {
  /** A device or deployment changed (failure, rescheduling, deploy, scale…): fleet views refresh. */
  edge: z.object({ kind: z.enum(['device', 'deployment', 'failure', 'rescheduled']), name: z.string(), detail: z.string() }),
} as const
