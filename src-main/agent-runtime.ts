/**
 * What an edge agent does with the console's requests: the composition of the protocol engine's
 * EdgeAgent with this host's own WASM pool. `dwcp agent` and the protocol bench both use it.
 */
import { loadavg } from 'node:os'
import type { Host } from './host'
import type { Json, RequestHandler } from './protocol'

interface ExecutePayload {
  module?: { builtin?: string; base64?: string; name?: string; sha256?: string }
  invoke?: string
  args?: (number | string)[]
  inputText?: string
  inputBase64?: string
  tenant?: string
  timeoutMs?: number
  memoryMb?: number
}

interface ReplicaPayload {
  deployment: string
  replica: number
  module: string
  version: number
  memoryMb?: number
  /** An uploaded module's bytes, sent by the console with the start. */
  moduleBase64?: string
}

const replicaKey = (r: ReplicaPayload) => `${r.deployment}#${r.replica}`

export function agentRuntime(host: Host, cpu: number) {
  const replicas = new Map<string, { state: 'running' | 'failed'; message?: string; module: string; version: number }>()
  let calls = 0
  let busy = 0

  const moduleRef = (m: ExecutePayload['module']) => {
    if (m?.builtin) return { builtin: m.builtin }
    if (m?.base64) return { bytes: new Uint8Array(Buffer.from(m.base64, 'base64')), ...(m.name ? { name: m.name } : {}) }
    if (m?.sha256) return { sha256: m.sha256 }
    throw new Error('wasm.execute needs module.builtin, module.base64 or module.sha256')
  }

  const onRequest: RequestHandler = async (method, payload) => {
    switch (method) {
      case 'wasm.execute': {
        const p = (payload ?? {}) as ExecutePayload
        calls++
        busy++
        try {
          const r = await host.wasm.execute({
            module: moduleRef(p.module),
            ...(p.invoke ? { invoke: p.invoke } : {}),
            ...(p.args ? { args: p.args } : {}),
            ...(p.inputText !== undefined ? { input: Buffer.from(p.inputText, 'utf8') } : {}),
            ...(p.inputBase64 !== undefined ? { input: Buffer.from(p.inputBase64, 'base64') } : {}),
            ...(p.tenant ? { tenant: p.tenant } : {}),
            ...(p.timeoutMs ? { timeoutMs: p.timeoutMs } : {}),
            ...(p.memoryMb ? { memoryMb: p.memoryMb } : {}),
          })
          const { output, ...rest } = r
          return { ...rest, ...(output ? { outputBase64: Buffer.from(output).toString('base64') } : {}) }
        } finally {
          busy--
        }
      }
      case 'replica.start': {
        const r = payload as ReplicaPayload
        const module = r.moduleBase64
          ? { bytes: new Uint8Array(Buffer.from(r.moduleBase64, 'base64')), name: r.module }
          : r.module.startsWith('sha256:')
            ? { sha256: r.module.slice(7) }
            : { builtin: r.module }
        try {
          // A replica is a warm instance in a tenant of its deployment: started means instantiated and ready.
          const warmed = await host.wasm.prewarm(module, { tenant: `replica-${r.deployment}`.slice(0, 63).replace(/[^a-z0-9._-]/gi, '-'), ...(r.memoryMb ? { memoryMb: r.memoryMb } : {}) })
          if (r.module.startsWith('sha256:') && warmed.sha256 !== r.module.slice(7)) throw new Error(`the module bytes sent are not ${r.module.slice(0, 23)}…`)
          replicas.set(replicaKey(r), { state: 'running', module: r.module, version: r.version })
          return { state: 'running' }
        } catch (err) {
          replicas.set(replicaKey(r), { state: 'failed', message: (err as Error).message, module: r.module, version: r.version })
          return { state: 'failed', message: (err as Error).message }
        }
      }
      case 'replica.stop':
        replicas.delete(replicaKey(payload as ReplicaPayload))
        return { state: 'stopped' }
      case 'replica.status': {
        const known = replicas.get(replicaKey(payload as ReplicaPayload))
        return known ? { state: known.state, ...(known.message ? { message: known.message } : {}) } : { state: 'failed', message: 'this agent does not run that replica (it restarted?)' }
      }
      case 'agent.metrics':
        return { ...host.wasm.stats(), replicas: replicas.size, calls }
      default:
        throw new Error(`this agent does not know the request ${method}`)
    }
  }

  /** The state sent every heartbeat: load and what runs here, in a shape that deltas well. */
  const state = (): Json => ({
    load: Math.min(1, Math.round(((loadavg()[0] ?? 0) / cpu + busy / (cpu * 4)) * 1000) / 1000),
    calls,
    replicas: Object.fromEntries([...replicas].map(([k, v]) => [k, { state: v.state, module: v.module, version: v.version }])),
  })

  return { onRequest, state }
}
