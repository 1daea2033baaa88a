/**
 * The orchestrator's calls. Registration, placement questions and heartbeats are not audited (they
 * are frequent and change no intent); every deployment change is. The demo fleet's two calls are the
 * composition root's (handlers/demo-fleet.ts): they need the protocol peer too.
 */
import type { EdgeRequirements, orchestratorMethods } from '../api/contracts/orchestrator'
import type { HandlersFor } from '../api/dispatch'
import type { EventBus } from '../events'
import { deviceView, type Orchestrator, type Requirements } from '../orchestrator'
import type { Audited } from './audited'

/** The API speaks CPU cores; the engine counts millicores, like the trace. */
export function engineRequirements(r: EdgeRequirements): Requirements {
  const { cpu, ...rest } = r
  return { ...rest, ...(cpu !== undefined ? { cpuMilli: Math.round(cpu * 1000) } : {}) }
}

export function orchestratorHandlers({ orchestrator, audited, events }: { orchestrator: Orchestrator; audited: Audited; events: EventBus }): HandlersFor<Exclude<keyof typeof orchestratorMethods, 'edge.demo.start' | 'edge.demo.stop'>> {
  const registry = orchestrator.registry
  const changed = <T>(name: string, detail: string, value: T): T => (events.emit('edge', { kind: 'deployment', name, detail }), value)
  return {
    'edge.devices.list': ({ region, state, cluster, limit, offset }) => {
      registry.sync()
      const all = registry.list({ region, state, cluster })
      const from = offset ?? 0
      return { total: all.length, devices: all.slice(from, limit === undefined ? undefined : from + limit) }
    },
    'edge.register': (input) => {
      const devices = registry.register('devices' in input ? input.devices : [input])
      events.emit('edge', { kind: 'device', name: devices.length === 1 ? devices[0].id : `${devices.length} devices`, detail: 'registered' })
      return { registered: devices.length, devices: devices.slice(0, 1000).map(deviceView) }
    },
    'edge.heartbeat': ({ beats }) => {
      for (const b of beats) orchestrator.heartbeat(b.id, { load: b.load, rttMs: b.rttMs })
      return { accepted: beats.length }
    },
    'edge.devices.remove': ({ id }, ctx) => audited(ctx, { action: 'edge.device.remove', target: id, safety: 'caution' }, () => deviceView(orchestrator.removeDevice(id))),
    'edge.place': ({ requirements, strategy, replicas, spanClusters }) => orchestrator.place(engineRequirements(requirements), { strategy, replicas, spanClusters }),
    'edge.deployments.list': () => orchestrator.list(),
    'edge.deployments.get': ({ name }) => orchestrator.get(name),
    'edge.deployments.create': ({ name, module, replicas, requirements, strategy, spanClusters }, ctx) =>
      audited(
        ctx,
        { action: 'edge.deploy', target: name, details: { module, replicas, strategy, requirements } },
        async () => changed(name, 'deployed', await orchestrator.create({ name, module, replicas, requirements: engineRequirements(requirements), strategy, spanClusters })),
        (d) => ({ devices: d.instances.map((r) => r.deviceId), state: d.state }),
      ),
    'edge.deployments.scale': ({ name, replicas }, ctx) =>
      audited(ctx, { action: 'edge.scale', target: name, details: { replicas } }, async () => changed(name, 'scaled', await orchestrator.scale(name, replicas)), (d) => ({ devices: d.instances.map((r) => r.deviceId) })),
    'edge.deployments.update': ({ name, module }, ctx) =>
      audited(ctx, { action: 'edge.update', target: name, safety: 'caution', details: { module } }, async () => changed(name, 'updated', await orchestrator.update(name, { module })), (d) => ({ version: d.version })),
    'edge.deployments.migrate': ({ name, ...target }, ctx) =>
      audited(ctx, { action: 'edge.migrate', target: name, safety: 'caution', details: target }, async () => changed(name, 'migrated', await orchestrator.migrate(name, target)), (d) => ({ devices: d.instances.map((r) => r.deviceId) })),
    'edge.deployments.delete': ({ name }, ctx) => audited(ctx, { action: 'edge.destroy', target: name, safety: 'dangerous' }, async () => changed(name, 'destroyed', await orchestrator.destroy(name))),
    'edge.rebalance': ({ name, apply, minGain }, ctx) =>
      apply
        ? audited(ctx, { action: 'edge.rebalance', target: name ?? 'all', safety: 'caution' }, async () => changed(name ?? 'all', 'rebalanced', await orchestrator.rebalance({ name, apply, minGain })), (r) => ({ moves: r.moves.length, totalGain: r.totalGain }))
        : orchestrator.rebalance({ name, apply: false, minGain }),
  }
}
