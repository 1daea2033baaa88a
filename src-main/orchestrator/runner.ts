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
    if (!this.o.fromAgent(deviceId)) return this.unattachedStatus
    if (!this.o.hosting()) return { state: 'placed', message: `placed: the console that ${deviceId} is connected to starts it` }
    return undefined
  }

  private readonly unattachedStatus: ReplicaStatus = { state: 'placed', message: 'placed only: no agent connection runs replicas yet' }

  async start(ref: ReplicaRef): Promise<ReplicaStatus> {
    const elsewhere = this.leftToConsole(ref.deviceId)
    if (elsewhere) return elsewhere
    try {
      const reply = (await this.o.callAgent(ref.deviceId, 'replica.start', ref, { timeoutMs: this.timeoutMs })) as Partial<ReplicaStatus> | undefined
      return { state: reply?.state ?? 'running', ...(reply?.message ? { message: reply.message } : {}) }
    } catch (err) {
      return { state: 'failed', message: (err as Error).message }
    }
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
