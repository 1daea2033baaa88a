/**
 * What the orchestrator needs from the protocol peer (issue #5) to take its devices from real agents
 * and run replicas on them. The composition root passes the peer's agent registry in this shape:
 *
 *   attachAgents(orchestrator, {
 *     connected: () => protocol.agents.list(),          // agents connected now, with capabilities
 *     on: (event, fn) => protocol.agents.on(event, fn),  // 'connect' | 'heartbeat' | 'disconnect'
 *     callAgent: protocol.callAgent,                     // (agentId, method, payload, { timeoutMs })
 *     moduleBytes: (sha256) => wasm.moduleBytes(sha256), // an uploaded module's bytes, sent with a start
 *   })
 */
import type { DeviceInput } from './registry'
import { AgentRunner, type CallAgent } from './runner'
import type { Orchestrator } from './orchestrator'

/** An agent as the peer describes it on connect: its id becomes the device id. */
export interface AgentInfo {
  agentId: string
  name?: string
  capabilities: Omit<DeviceInput, 'id' | 'name' | 'source'>
}

export interface AgentHeartbeat {
  agentId: string
  load: number
  rttMs: number
  /** `deployment#index` of every replica the agent says it runs. */
  replicas?: string[]
}

export interface AgentFleetSource {
  connected(): AgentInfo[]
  on(event: 'connect', fn: (agent: AgentInfo) => void): void
  on(event: 'heartbeat', fn: (beat: AgentHeartbeat) => void): void
  on(event: 'disconnect', fn: (agent: { agentId: string; reason?: string }) => void): void
  callAgent: CallAgent
  /** Whether this process is the console the agents connect to (default: yes). */
  hosting?(): boolean
  /** An uploaded module's bytes by SHA-256, sent with a start to an agent that may not have them. */
  moduleBytes?(sha256: string): Uint8Array | undefined
}

/** Devices from agents (registered on connect, live figures from heartbeats, failed on disconnect) and replicas run by them. */
export function attachAgents(orchestrator: Orchestrator, source: AgentFleetSource): void {
  const connected = new Set<string>()
  const register = (agent: AgentInfo) => {
    orchestrator.registry.register([{ ...agent.capabilities, id: agent.agentId, name: agent.name ?? agent.agentId, source: 'agent' }])
    connected.add(agent.agentId)
    orchestrator.heartbeat(agent.agentId, {})
  }
  orchestrator.attachRunner(
    new AgentRunner({
      callAgent: source.callAgent,
      connected: (id) => connected.has(id),
      fromAgent: (id) => connected.has(id) || orchestrator.registry.index.get(id)?.source === 'agent',
      hosting: () => source.hosting?.() ?? true,
      moduleBytes: (sha256) => source.moduleBytes?.(sha256),
    }),
  )
  for (const agent of source.connected()) register(agent)
  source.on('connect', register)
  source.on('heartbeat', (beat) => {
    if (!connected.has(beat.agentId)) return
    orchestrator.heartbeat(beat.agentId, { load: beat.load, rttMs: beat.rttMs })
    if (beat.replicas) void orchestrator.reconcile(beat.agentId, beat.replicas).catch(() => undefined)
  })
  source.on('disconnect', ({ agentId, reason }) => {
    connected.delete(agentId)
    void orchestrator.deviceFailed(agentId, reason ?? 'agent disconnected')
  })
}
