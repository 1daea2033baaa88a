import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { AuditService } from '../audit'
import { Store, verifyBackup } from '../store'
import { tempHome } from '../testing/home'
import { BENCH_RESULTS_FILE, ReleaseManager } from '.'

const HOUR = 3_600_000

function open(home = tempHome(), clock = { now: Date.parse('2026-03-01T09:00:00Z') }) {
  const store = Store.open({ home })
  const audit = new AuditService(store, { product: 'test' })
  const release = new ReleaseManager({ store, home, record: (e) => audit.record(e), now: () => clock.now })
  return { home, store, audit, release, clock, close: () => (release.close(), audit.close(), store.close()) }
}

const apply = (release: ReleaseManager, i: number, invitationCode?: string) =>
  release.register({ name: `Adopter ${i}`, email: `adopter${i}@example.org`, ...(invitationCode ? { invitationCode } : {}) })

describe('early adopters', () => {
  it('approves up to 100, waitlists the rest, and promotes the first waiting when a place frees', () => {
    const { release, close } = open()
    const ids = Array.from({ length: 102 }, (_, i) => apply(release, i).id)
    const decided = ids.map((id) => release.adopters.approve(id, 'advanced').status)
    expect(decided.filter((s) => s === 'approved')).toHaveLength(100)
    expect(decided.slice(100)).toEqual(['waitlisted', 'waitlisted'])
    const { promoted } = release.adopters.reject(ids[3]!)
    expect(promoted?.id).toBe(ids[100])
    expect(release.adopters.counts()).toMatchObject({ approved: 100, waitlisted: 1, rejected: 1 })
    close()
  })

  it('takes an invitation code once, before it expires, and grants its access level’s flags', () => {
    const { release, clock, close } = open()
    const invitation = release.invite('experimental', 7)
    expect(invitation.code).toMatch(/^DWCP(-[0-9A-Z]{5}){4}$/)
    const adopter = apply(release, 1, invitation.code)
    expect(adopter).toMatchObject({ status: 'approved', accessLevel: 'experimental' })
    expect(() => apply(release, 2, invitation.code)).toThrow(/used already/)
    expect(() => apply(release, 3, 'DWCP-AAAAA-AAAAA-AAAAA-AAAAA')).toThrow(/not valid/)
    const late = release.invite('full', 1)
    clock.now += 25 * HOUR
    expect(() => apply(release, 4, late.code)).toThrow(/expired/)
    // quantum_crypto held at 0 % is off for everyone — but on for an approved experimental adopter.
    release.setFlag('quantum_crypto', { enabled: true, rollout: 0 })
    expect(release.evaluate('quantum_crypto', 'someone-else')).toMatchObject({ enabled: false, reason: 'rolled out to 0%' })
    expect(release.evaluate('quantum_crypto', adopter.id)).toMatchObject({ enabled: true, reason: 'early adopter with experimental access' })
    // Only the code's hash is kept.
    expect(JSON.stringify(release.adopters.invitations())).not.toContain(invitation.code)
    close()
  })

  it('earns reputation from the quality of feedback: fixed reports count, invalid ones cost', () => {
    const { release, close } = open()
    const a = release.adopters.approve(apply(release, 1).id)
    const good = release.submitFeedback({ adopterId: a.id, type: 'bug', category: 'wasm', severity: 'critical', title: 'Pool crashes', description: 'Steps: '.padEnd(150, 'x') })
    const noise = release.submitFeedback({ adopterId: a.id, type: 'bug', category: 'ui', severity: 'low', title: 'meh', description: '' })
    expect(release.resolveFeedback(good.id, 'fixed').reputation).toBe(10 + 10 + 3)
    expect(release.resolveFeedback(noise.id, 'invalid').reputation).toBe(-5)
    expect(release.adopters.require(a.id).reputation).toBe(18)
    close()
  })
})

describe('feedback clocks', () => {
  it('flags items past 24 h without a response and critical bugs unfixed after 48 h', () => {
    const { release, clock, close } = open()
    const question = release.submitFeedback({ type: 'question', category: 'docs', severity: 'low', title: 'How?', description: 'q' })
    const critical = release.submitFeedback({ type: 'bug', category: 'protocol', severity: 'critical', title: 'Drops frames', description: 'd' })
    expect(release.feedback.require(critical.id).criticalFix).toMatchObject({ state: 'running', remainingMs: 48 * HOUR })
    clock.now += 23 * HOUR
    release.feedback.respond(critical.id, 'Looking at it')
    clock.now += 2 * HOUR
    expect(release.feedback.list({ overdue: true }).map((i) => i.id)).toEqual([question.id])
    expect(release.feedback.require(critical.id)).toMatchObject({ overdue: false, firstResponse: { state: 'met' } })
    clock.now += 24 * HOUR
    expect(release.feedback.require(critical.id)).toMatchObject({ overdue: true, criticalFix: { state: 'overdue' } })
    expect(release.feedback.slaCompliance()).toEqual({ judged: 3, met: 1, overdue: 2 })
    release.resolveFeedback(critical.id, 'fixed')
    expect(release.feedback.require(critical.id).criticalFix?.state).toBe('late')
    close()
  })
})

describe('telemetry', () => {
  it('stores nothing at all once the installation opts out (and deletes what was there)', () => {
    const { release, store, close } = open()
    release.telemetry.record('view.open', { view: 'release' }, 'alice')
    expect(release.telemetry.setOptOut(true)).toEqual({ optedOut: true, deleted: 1 })
    for (let i = 0; i < 50; i++) expect(release.telemetry.record('view.open', { view: 'wasm', n: i }, `user${i}`).stored).toBe(false)
    expect(store.db.prepare('SELECT COUNT(*) FROM release_telemetry').pluck().get()).toBe(0)
    release.telemetry.setOptOut(false)
    expect(release.telemetry.record('view.open', {}, 'alice').stored).toBe(true)
    close()
  })

  it('keeps user ids only as a salted hash, and drops emails and free text', () => {
    const { release, store, close } = open()
    const result = release.telemetry.record('flag.toggle', { flag: 'wasm_runtime', on: true, ms: 12.5, contact: 'alice@example.org', note: 'it broke when I clicked twice' }, 'alice@example.org')
    expect(result).toEqual({ stored: true, dropped: ['contact', 'note'] })
    const row = store.db.prepare('SELECT user_hash, properties FROM release_telemetry').get() as { user_hash: string; properties: string }
    expect(row.user_hash).toMatch(/^[0-9a-f]{32}$/)
    expect(JSON.parse(row.properties)).toEqual({ flag: 'wasm_runtime', on: true, ms: 12.5 })
    const dump = JSON.stringify(store.db.prepare('SELECT * FROM release_telemetry').all())
    expect(dump).not.toContain('alice')
    // Another installation (another salt) cannot link the same user.
    const other = open()
    other.release.telemetry.record('flag.toggle', {}, 'alice@example.org')
    expect(other.store.db.prepare('SELECT user_hash FROM release_telemetry').pluck().get()).not.toBe(row.user_hash)
    other.close()
    close()
  })

  it('purges rows older than 90 days and counts stored events for Prometheus', async () => {
    const { release, clock, close } = open()
    const registry = new Registry()
    release.registerMetrics(registry)
    release.telemetry.record('old.event')
    clock.now += 91 * 24 * HOUR
    release.telemetry.record('new.event')
    expect(release.telemetry.purge()).toBe(1)
    expect(release.telemetry.summary().events).toEqual([{ event: 'new.event', count: 1 }])
    expect(await registry.metrics()).toMatch(/dwcp_release_telemetry_events_total\{event="new.event"\} 1/)
    expect(() => release.telemetry.record('Bad Event!')).toThrow(/not an event name/)
    close()
  })
})

describe('readiness', () => {
  it('scores measured inputs with a breakdown, reading the latest bench results', () => {
    const { release, home, close } = open()
    expect(release.readiness()).toMatchObject({ score: 30, recommendedForProduction: false })
    writeFileSync(
      join(home, BENCH_RESULTS_FILE),
      [
        JSON.stringify({ bench: 'wasm', warm_p50_us: 500, at: 'old' }),
        JSON.stringify({ bench: 'wasm', warm_p50_us: 23, warm_p99_us: 99, cold_p50_ms: 2.2, cold_p99_ms: 7.7, rss_mb: 656, at: 'new' }),
        JSON.stringify({ bench: 'audit', append_per_s: 34929, verify_1m_s: 2.34, inclusion_proof_ms_p99: 0.29, query_fts_ms_p99: 69 }),
        '{"bench": "audit", "append_per', // an interrupted run's last line
      ].join('\n'),
    )
    for (let i = 0; i < 50; i++) release.adopters.approve(apply(release, i).id)
    const bug = release.submitFeedback({ type: 'bug', category: 'x', severity: 'critical', title: 't', description: '' })
    const r = release.readiness()
    expect(r.parts.map((p) => [p.id, p.points])).toEqual([
      ['critical_bugs', 15],
      ['sla', 0],
      ['adoption', 20],
      ['benchmarks', 22.2],
    ])
    expect(r.benchmarks.find((b) => b.key === 'query_fts_ms_p99')).toMatchObject({ met: false, value: 69 })
    release.resolveFeedback(bug.id, 'fixed')
    expect(release.readiness()).toMatchObject({ score: 97, recommendedForProduction: true })
    close()
  })
})

describe('rollback to v3 without a protocol peer', () => {
  it('backs up and verifies, turns v4-only flags off, pins v3, audits each step; roll forward restores them', async () => {
    const { release, audit, store, close } = open()
    release.setFlag('plain', { enabled: true })
    const record = await release.rollback.toV3('test')
    expect(existsSync(record.backupFile)).toBe(true)
    expect((await verifyBackup(record.backupFile, store.knownSchema())).ok).toBe(true)
    expect(record.flagsTurnedOff.sort()).toEqual(['ai_llm_integration', 'edge_cloud_continuum', 'enhanced_compression', 'quantum_crypto', 'wasm_runtime'])
    expect(release.isEnabled('wasm_runtime')).toBe(false)
    expect(release.isEnabled('plain')).toBe(true)
    expect(release.rollback.state()).toMatchObject({ pinned: '3.0.0', rolledBack: true })
    await expect(release.rollback.toV3('test')).rejects.toThrow(/already rolled back/)
    // Someone turns one flag back on by hand while on v3: roll forward leaves it as they set it.
    release.setFlag('enhanced_compression', { enabled: true, rollout: 10 })
    const forward = await release.rollback.toV4('test')
    expect(forward.flagsTurnedOn.sort()).toEqual(['ai_llm_integration', 'edge_cloud_continuum', 'quantum_crypto', 'wasm_runtime'])
    expect(release.flags.get('enhanced_compression')).toMatchObject({ enabled: true, rollout: 10 })
    expect(release.rollback.state()).toMatchObject({ pinned: null, rolledBack: false })
    await expect(release.rollback.toV4('test')).rejects.toThrow(/not rolled back/)
    const actions = audit.log.query({}, 100).map((e) => e.action).reverse()
    expect(actions).toEqual(['release.rollback.backup', ...Array(5).fill('release.flag.set'), 'release.protocol.pin', 'release.protocol.pin', ...Array(4).fill('release.flag.set')])
    close()
  })
})

describe('rollback through the ProtocolControl interface the host injects', () => {
  // The protocol peer (issue #5) is not in this tree yet; these pin the contract it will be held to.
  it('pins v3, records each agent’s answer, and lifts the pin on roll forward', async () => {
    const { release, close } = open()
    const pins: (string | null)[] = []
    release.rollback.attachProtocol({
      pin: async (version) => {
        pins.push(version)
        return { pinned: version, agents: ['edge-1', 'edge-2', 'edge-3'].map((agent) => ({ agent, version: version ?? '4.0.0', ok: true })) }
      },
    })
    const record = await release.rollback.toV3('test')
    expect(record.agents.map((a) => `${a.agent}@${a.version}`)).toEqual(['edge-1@3.0.0', 'edge-2@3.0.0', 'edge-3@3.0.0'])
    expect(release.rollback.state().protocolPeer).toBe(true)
    const forward = await release.rollback.toV4('test')
    expect(forward.agents.every((a) => a.version === '4.0.0')).toBe(true)
    expect(pins).toEqual(['3.0.0', null])
    close()
  })

  it('puts the flags back and stays on v4 when pinning fails', async () => {
    const { release, audit, close } = open()
    release.rollback.attachProtocol({ pin: async () => Promise.reject(new Error('agent edge-2 did not answer')) })
    await expect(release.rollback.toV3('test')).rejects.toThrow(/pinning the protocol to v3 failed \(agent edge-2 did not answer\); the flags were turned back on/)
    expect(release.isEnabled('wasm_runtime')).toBe(true)
    expect(release.rollback.state()).toMatchObject({ pinned: null, rolledBack: false })
    expect(audit.log.query({ action: 'release.protocol.pin' })[0]).toMatchObject({ outcome: 'failed' })
    close()
  })
})
