import { describe, expect, it } from 'vitest'
import { AuditService } from '../audit'
import { Store } from '../store'
import { tempHome } from '../testing/home'
import { ReleaseManager, SEEDED_FLAGS } from '.'

function open(home: string, now?: () => number) {
  const store = Store.open({ home })
  const audit = new AuditService(store, { product: 'test' })
  const release = new ReleaseManager({ store, home, record: (e) => audit.record(e), ...(now ? { now } : {}) })
  return { store, audit, release, close: () => (release.close(), audit.close(), store.close()) }
}

describe('feature flags', () => {
  it('seeds the five alpha flags once; a deleted seed stays deleted', () => {
    const home = tempHome()
    const a = open(home)
    expect(a.release.flags.list().map((f) => f.name).sort()).toEqual(SEEDED_FLAGS.map((f) => f.name).sort())
    a.release.flags.delete('quantum_crypto')
    a.close()
    const b = open(home)
    expect(b.release.flags.get('quantum_crypto')).toBeUndefined()
    b.close()
  })

  it('gives every user the same answer after the database file is closed and reopened', () => {
    const home = tempHome()
    const users = Array.from({ length: 2000 }, (_, i) => `operator-${i}`)
    const first = open(home)
    first.release.setFlag('gradual', { enabled: true, rollout: 37 })
    const before = users.map((u) => first.release.isEnabled('gradual', u))
    first.close()
    const second = open(home)
    expect(users.map((u) => second.release.isEnabled('gradual', u))).toEqual(before)
    const share = before.filter(Boolean).length / users.length
    expect(share).toBeGreaterThan(0.33)
    expect(share).toBeLessThan(0.41)
    second.close()
  })

  it('explains each decision: disabled, environment, dependency, user list, rollout bucket', () => {
    const { release, close } = open(tempHome())
    release.setFlag('base', { enabled: false, rollout: 100 })
    release.setFlag('child', { enabled: true, rollout: 0, users: ['alice'], dependencies: ['base'] })
    expect(release.evaluate('child', 'alice')).toMatchObject({ enabled: false, reason: 'depends on base, which is off (disabled)' })
    release.setFlag('base', { enabled: true })
    expect(release.evaluate('child', 'alice')).toMatchObject({ enabled: true, reason: 'in the flag’s user list' })
    expect(release.evaluate('child', 'bob')).toMatchObject({ enabled: false, reason: 'rolled out to 0%' })
    release.setFlag('child', { rollout: 50 })
    expect(release.evaluate('child', 'bob').reason).toMatch(/^bucket \d+ [≤>] rollout 50%$/)
    release.setFlag('child', { environments: ['production'] })
    expect(release.evaluate('child', 'alice')).toMatchObject({ enabled: false, reason: 'not enabled in the alpha environment (only production)' })
    release.setEnvironment('production')
    expect(release.isEnabled('child', 'alice')).toBe(true)
    expect(release.evaluate('nope', 'alice')).toMatchObject({ enabled: false, reason: 'no flag named nope' })
    close()
  })

  it('refuses bad names, percentages, dates, unknown dependencies and cycles, changing nothing', () => {
    const { release, close } = open(tempHome())
    expect(() => release.setFlag('Bad Name', { enabled: true })).toThrow(/not a flag name/)
    expect(() => release.setFlag('wasm_runtime', { rollout: 101 })).toThrow(/0–100/)
    expect(() => release.setFlag('wasm_runtime', { expiresAt: 'tomorrow' })).toThrow(/ISO 8601/)
    expect(() => release.setFlag('x', { dependencies: ['missing'] })).toThrow(/not a flag/)
    release.setFlag('a', { enabled: true })
    release.setFlag('b', { enabled: true, dependencies: ['a'] })
    expect(() => release.setFlag('a', { dependencies: ['b'] })).toThrow(/cycle: a → b → a/)
    expect(release.flags.get('a')?.dependencies).toEqual([])
    expect(release.flags.get('wasm_runtime')?.rollout).toBe(100)
    close()
  })

  it('turns an expired flag off by itself and writes that to the audit log', () => {
    let now = Date.parse('2026-01-01T00:00:00Z')
    const { release, audit, close } = open(tempHome(), () => now)
    release.setFlag('trial', { enabled: true, rollout: 100, expiresAt: '2026-01-02T00:00:00Z' })
    expect(release.isEnabled('trial', 'u1')).toBe(true)
    now = Date.parse('2026-01-02T00:00:01Z')
    // Off at once, even before the sweep runs…
    expect(release.evaluate('trial', 'u1')).toMatchObject({ enabled: false, reason: 'expired at 2026-01-02T00:00:00.000Z' })
    // …and the sweep stores it and audits it, once.
    expect(release.expireFlags()).toEqual(['trial'])
    expect(release.expireFlags()).toEqual([])
    expect(release.flags.get('trial')?.enabled).toBe(false)
    const entries = audit.log.query({ action: 'release.flag.expire' })
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ actor: 'system', target: 'trial', outcome: 'ok' })
    close()
  })

  it('sees a change committed by another connection (a CLI next to a running server) within 50 ms', async () => {
    const home = tempHome()
    const server = open(home)
    expect(server.release.isEnabled('wasm_runtime')).toBe(true)
    const cli = open(home)
    cli.release.setFlag('wasm_runtime', { enabled: false })
    cli.close()
    await new Promise((r) => setTimeout(r, 60))
    expect(server.release.evaluate('wasm_runtime')).toMatchObject({ enabled: false, reason: 'disabled' })
    server.close()
  })
})
