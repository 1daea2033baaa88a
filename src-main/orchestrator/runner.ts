/**
 * How a placed replica is started, stopped and asked about on its device. The orchestrator only
 * decides where; the composition root gives it a runner: the protocol peer's `callAgent` for real
 * agents, or the unattached runner when no agent connection exists.
 */

export interface ReplicaRef {
  deployment: string
  replica: number
  /** A built-in workload name, or `sha256:<hex>` of an uploaded module (kept in the data folder). */
  module: string
  version: number
  deviceId: string
  memoryMb?: number
}

export type ReplicaState = 'starting' | 'running' | 'placed' | 'failed' | 'stopped'

export interface ReplicaStatus {
  state: ReplicaState
  message?: string
}

export interface ReplicaRunner {
  /** Start the replica and report whether it came up healthy. Must not throw for a failed start: report it. */
  start(ref: ReplicaRef): Promise<ReplicaStatus>
  stop(ref: ReplicaRef): Promise<void>
  status(ref: ReplicaRef): Promise<ReplicaStatus>
  /** Whether this device is served by this runner (an agent is connected to it). */
  reaches?(deviceId: string): boolean
}

/** A replica that no agent runs: placed and recorded, and its state says so rather than pretending it runs. */
const UNATTACHED: Readonly<ReplicaStatus> = { state: 'placed', message: 'placed only: no agent connection runs replicas yet' }

/** No agent connection: replicas are placed and recorded, and nothing runs them. */
export class UnattachedRunner implements ReplicaRunner {
  async start(): Promise<ReplicaStatus> {
    return UNATTACHED
  }
  async stop(): Promise<void> {}
  async status(): Promise<ReplicaStatus> {
    return UNATTACHED
  }
}

/**
 * A runner backed by an agent call, for the composition root to build from the protocol peer's
 * `callAgent(agentId, method, payload, { timeoutMs })`. Device ids are agent ids.
 */
export type CallAgent = (agentId: string, method: string, payload: unknown, options: { timeoutMs: number }) => Promise<unknown>

export interface AgentRunnerOptions {
  callAgent: CallAgent
  /** Whether this process holds a link to the agent now. */
  connected(agentId: string): boolean
  /** Whether the device came from an agent; devices registered by hand have no agent to run them. */
  fromAgent(deviceId: string): boolean
  /**
   * Whether this process is the console agents connect to. A process that is not (a `dwcp deploy`
   * beside a running console) records replicas as placed, and the console starts them (reconcile).
   */
  hosting(): boolean
  /** An uploaded module's bytes by SHA-256, when this process has them (its WASM pool's cache). */
  moduleBytes?(sha256: string): Uint8Array | undefined
  timeoutMs?: number
}

export class AgentRunner implements ReplicaRunner {
  private readonly timeoutMs: number

  constructor(private readonly o: AgentRunnerOptions) {
    this.timeoutMs = o.timeoutMs ?? 5000
  }

  reaches(deviceId: string): boolean {
    return this.o.connected(deviceId)
  }

  private leftToConsole(deviceId: string): ReplicaStatus | undefined {
    if (!this.o.fromAgent(deviceId)) return UNATTACHED
    if (!this.o.hosting()) return { state: 'placed', message: `placed: the console that ${deviceId} is connected to starts it` }
    return undefined
  }

  async start(ref: ReplicaRef): Promise<ReplicaStatus> {
    const elsewhere = this.leftToConsole(ref.deviceId)
    if (elsewhere) return elsewhere
    try {
      const reply = (await this.o.callAgent(ref.deviceId, 'replica.start', this.withModuleBytes(ref), { timeoutMs: this.timeoutMs })) as Partial<ReplicaStatus> | undefined
      return { state: reply?.state ?? 'running', ...(reply?.message ? { message: reply.message } : {}) }
    } catch (err) {
      return { state: 'failed', message: (err as Error).message }
    }
  }

  /**
   * An agent cannot start a replica of an uploaded module it has never seen: the bytes go along with
   * the start (agents cache them by SHA-256 in turn).
   */
  private withModuleBytes(ref: ReplicaRef): ReplicaRef & { moduleBase64?: string } {
    const bytes = ref.module.startsWith('sha256:') ? this.o.moduleBytes?.(ref.module.slice(7)) : undefined
    return bytes ? { ...ref, moduleBase64: Buffer.from(bytes).toString('base64') } : ref
  }

  async stop(ref: ReplicaRef): Promise<void> {
    // Elsewhere, the console stops what its agents report running that is no longer wanted (reconcile).
    if (this.leftToConsole(ref.deviceId)) return
    try {
      await this.o.callAgent(ref.deviceId, 'replica.stop', ref, { timeoutMs: this.timeoutMs })
    } catch {
      // An agent that is gone has stopped its replicas with it.
    }
  }

  async status(ref: ReplicaRef): Promise<ReplicaStatus> {
    const elsewhere = this.leftToConsole(ref.deviceId)
    if (elsewhere) return elsewhere
    try {
      const reply = (await this.o.callAgent(ref.deviceId, 'replica.status', ref, { timeoutMs: this.timeoutMs })) as Partial<ReplicaStatus> | undefined
      return { state: reply?.state ?? 'running', ...(reply?.message ? { message: reply.message } : {}) }
    } catch (err) {
      return { state: 'failed', message: (err as Error).message }
    }
  }
}
