/**
 * The seeded flags as the host wires them to their engines: set through the API like an operator
 * would, seen on a real agent link (protocol flags) and in a real placement (edge_cloud_continuum).
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { CallContext } from '../api/dispatch'
import { createHost, type Host } from '../host'
import { EdgeAgent } from '../protocol'
import { waitFor } from '../testing/context'
import { tempHome } from '../testing/home'

const ctx: CallContext = { clientId: 'test', transport: 'test', emit: () => {} }
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function consoleWithAgent(host: Host, name: string) {
  const { port } = await host.protocol.listen('127.0.0.1', 0)
  const agent = new EdgeAgent({
    host: '127.0.0.1',
    port,
    name,
    home: tempHome('dwcp-agent-'),
    token: host.protocol.issueToken().token,
    capabilities: { region: 'us-west', cpu: 4, memoryMb: 8192 },
    onRequest: async (_method, payload) => payload,
    state: () => ({}),
  })
  cleanups.push(() => agent.stop())
  await agent.connect()
  await waitFor(() => host.protocol.list().length > 0, `${name} registered by the console`)
  return host.protocol.status().peers[0]!
}

describe('seeded flags consulted by their engines, through the host', () => {
  it('quantum_crypto and enhanced_compression on (as set): a hybrid, compressing link', async () => {
    const host = createHost({ home: tempHome(), shell: 'test' })
    cleanups.push(() => host.close())
    await host.call('release.flags.set', { name: 'enhanced_compression', enabled: true, rollout: 100, environments: [] }, ctx)
    const peer = await consoleWithAgent(host, 'edge-on')
    expect(peer.cipherSuite).toBe('X25519MLKEM768 + ML-DSA-65 / aes-256-gcm')
    expect(peer.features).toEqual(expect.arrayContaining(['quantum_crypto', 'enhanced_compression']))
  })

  it('quantum_crypto and enhanced_compression off: X25519 alone, labelled classical, and no compression agreed', async () => {
    const host = createHost({ home: tempHome(), shell: 'test' })
    cleanups.push(() => host.close())
    await host.call('release.flags.set', { name: 'quantum_crypto', enabled: false }, ctx)
    await host.call('release.flags.set', { name: 'enhanced_compression', enabled: false }, ctx)
    const peer = await consoleWithAgent(host, 'edge-off')
    expect(peer.cipherSuite).toBe('X25519 (classical) + ML-DSA-65 / aes-256-gcm')
    expect(peer.features).not.toContain('quantum_crypto')
    expect(peer.features).not.toContain('enhanced_compression')
    const text = 'compressible '.repeat(500)
    expect(await host.protocol.callAgent(peer.agentId, 'echo', { text })).toEqual({ text })
    expect(host.protocol.status().peers[0]!.compressionRatio).toBe(1)
  })
})
