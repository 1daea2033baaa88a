/**
 * How a placed replica is started, stopped and asked about on its device. The orchestrator only
 * decides where; the composition root gives it a runner: the protocol peer's `callAgent` for real
 * agents, or the unattached runner when no agent connection exists.
 */

export interface ReplicaRef {
  deployment: string
  replica: number
  /** A built-in workload name, or `sha256:<hex>` of a module in the WASM pool's cache. */
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

/**
 * No agent connection: replicas are placed and recorded, and nothing runs them. Their state says so
 * ('placed'), rather than pretending they run.
 */
export class UnattachedRunner implements ReplicaRunner {
  async start(): Promise<ReplicaStatus> {
    return { state: 'placed', message: 'placed only: no agent connection runs replicas yet' }
  }
  async stop(): Promise<void> {}
  async status(): Promise<ReplicaStatus> {
    return { state: 'placed', message: 'placed only: no agent connection runs replicas yet' }
  }
}

/**
 * A runner backed by an agent call, for the composition root to build from the protocol peer's
 * `callAgent(agentId, method, payload, { timeoutMs })`. Device ids are agent ids.
 */
export type CallAgent = (agentId: string, method: string, payload: unknown, options: { timeoutMs: number }) => Promise<unknown>

export class AgentRunner implements ReplicaRunner {
  private readonly unattached = new UnattachedRunner()

  constructor(
    private readonly callAgent: CallAgent,
    private readonly connected: (agentId: string) => boolean,
    /** Whether the device came from an agent; devices registered by hand have no agent to run them. */
    private readonly fromAgent: (deviceId: string) => boolean,
    private readonly timeoutMs = 5000,
  ) {}

  reaches(deviceId: string): boolean {
    return this.connected(deviceId)
  }

  async start(ref: ReplicaRef): Promise<ReplicaStatus> {
    if (!this.fromAgent(ref.deviceId)) return this.unattached.start()
    try {
      const reply = (await this.callAgent(ref.deviceId, 'replica.start', ref, { timeoutMs: this.timeoutMs })) as Partial<ReplicaStatus> | undefined
      return { state: reply?.state ?? 'running', ...(reply?.message ? { message: reply.message } : {}) }
    } catch (err) {
      return { state: 'failed', message: (err as Error).message }
    }
  }

  async stop(ref: ReplicaRef): Promise<void> {
    if (!this.fromAgent(ref.deviceId)) return
    try {
      await this.callAgent(ref.deviceId, 'replica.stop', ref, { timeoutMs: this.timeoutMs })
    } catch {
      // An agent that is gone has stopped its replicas with it.
    }
  }

  async status(ref: ReplicaRef): Promise<ReplicaStatus> {
    if (!this.fromAgent(ref.deviceId)) return this.unattached.status()
    try {
      const reply = (await this.callAgent(ref.deviceId, 'replica.status', ref, { timeoutMs: this.timeoutMs })) as Partial<ReplicaStatus> | undefined
      return { state: reply?.state ?? 'running', ...(reply?.message ? { message: reply.message } : {}) }
    } catch (err) {
      return { state: 'failed', message: (err as Error).message }
    }
  }
}
