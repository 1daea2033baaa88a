import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { Store } from '../store'
import { tempHome } from '../testing/home'
import { attachAgents, type AgentFleetSource, type AgentInfo } from './agents'
import { Orchestrator } from './orchestrator'

/**
 * The adapter between the orchestrator and the protocol peer, seen from the orchestrator's side: the
 * agent side here is an in-process event source whose callAgent keeps, per agent, which replicas it
 * was told to run (the real peer with agent processes is exercised in src-main/protocol/agents-cli.test.ts).
 */
function agentSource() {
  const events = new EventEmitter()
  const running = new Map<string, Set<string>>()
  const agents: AgentInfo[] = ['a', 'b', 'c'].map((id, i) => ({
    agentId: `agent-${id}`,
    capabilities: { lat: 45 + i, lon: 5, region: 'eu-west', cpu: 4, memoryMb: 8192, bandwidthMbps: 100, costPerHour: 0.1 * (i + 1) },
  }))
  const source: AgentFleetSource = {
    connected: () => agents.slice(0, 2),
    on: (event: string, fn: (arg: never) => void) => void events.on(event, fn as (...args: unknown[]) => void),
    callAgent: async (agentId, method, payload) => {
      const ref = payload as { deployment: string; replica: number }
      const set = running.get(agentId) ?? new Set()
      running.set(agentId, set)
      if (method === 'replica.start') set.add(`${ref.deployment}/${ref.replica}`)
      if (method === 'replica.stop') set.delete(`${ref.deployment}/${ref.replica}`)
      return { state: 'running' }
    },
  }
  return { source, events, running, agents }
}

describe('devices from agents', () => {
  it('registers connected agents, runs replicas on them, and moves replicas off an agent that disconnects', async () => {
    const store = Store.open({ home: tempHome() })
    const orchestrator = new Orchestrator({ store })
    const { source, events, running, agents } = agentSource()
    attachAgents(orchestrator, source)
    expect(orchestrator.registry.list().map((d) => [d.id, d.source])).toEqual([['agent-a', 'agent'], ['agent-b', 'agent']])
    events.emit('connect', agents[2])
    events.emit('heartbeat', { agentId: 'agent-c', load: 0.3, rttMs: 7 })
    expect(orchestrator.registry.get('agent-c')).toMatchObject({ load: 0.3, rttMs: 7 })

    const dep = await orchestrator.create({ name: 'web', module: 'trivial', replicas: 2, requirements: { memoryMb: 1024 }, strategy: 'cost' })
    expect(dep.state).toBe('running')
    expect(dep.instances.map((r) => r.deviceId)).toEqual(['agent-a', 'agent-b'])
    expect([...running.get('agent-a')!]).toEqual(['web/0'])

    events.emit('disconnect', { agentId: 'agent-a', reason: 'connection closed' })
    await new Promise((resolve) => setImmediate(resolve))
    await orchestrator.rebalance() // queued behind the rescheduling: waits for it
    const after = orchestrator.get('web')
    expect(after.instances.map((r) => r.deviceId)).toEqual(['agent-c', 'agent-b'])
    expect([...running.get('agent-c')!]).toEqual(['web/0'])
    expect(orchestrator.registry.get('agent-a').state).toBe('offline')
    store.close()
  })

  it('starts a replica placed beside the console once, however many heartbeats come in while it starts', async () => {
    const store = Store.open({ home: tempHome() })
    const orchestrator = new Orchestrator({ store })
    const { source, events } = agentSource()
    let hosting = false
    let finishStart!: () => void
    const startPending = new Promise<void>((resolve) => (finishStart = resolve))
    const starts: string[] = []
    attachAgents(orchestrator, {
      ...source,
      hosting: () => hosting,
      callAgent: async (agentId, method) => {
        if (method === 'replica.start') {
          starts.push(agentId)
          await startPending
        }
        return { state: 'running' }
      },
    })
    // Recorded while this is not the console (as by `dwcp deploy` beside it); the console starts it on a heartbeat.
    const dep = await orchestrator.create({ name: 'web', module: 'trivial', replicas: 1, requirements: { memoryMb: 1024 }, strategy: 'cost' })
    expect(dep.instances[0]).toMatchObject({ deviceId: 'agent-a', state: 'placed' })
    hosting = true
    for (let i = 0; i < 3; i++) {
      events.emit('heartbeat', { agentId: 'agent-a', load: 0.1, rttMs: 1, replicas: [] })
      await new Promise((resolve) => setImmediate(resolve))
    }
    finishStart()
    await orchestrator.rebalance() // queued behind the reconcile: waits for it
    expect(starts).toEqual(['agent-a'])
    expect(orchestrator.get('web')).toMatchObject({ state: 'running', instances: [{ state: 'running' }] })
    store.close()
  })

  it('leaves replicas on hand-registered devices placed only, and never calls an agent for them', async () => {
    const store = Store.open({ home: tempHome() })
    const orchestrator = new Orchestrator({ store })
    const { source, running } = agentSource()
    attachAgents(orchestrator, { ...source, connected: () => [] })
    orchestrator.registry.register([{ id: 'rack-1', name: 'rack-1', lat: 45, lon: 5, region: 'eu-west', cpu: 8, memoryMb: 16384, bandwidthMbps: 100, costPerHour: 0.2 }])
    const dep = await orchestrator.create({ name: 'web', module: 'trivial', replicas: 1, requirements: { memoryMb: 1024 }, strategy: 'cost' })
    expect(dep.state).toBe('placed')
    expect(dep.instances[0]).toMatchObject({ deviceId: 'rack-1', state: 'placed' })
    expect(running.size).toBe(0)
    store.close()
  })
})
