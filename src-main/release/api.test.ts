import { afterEach, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../api/server'
import { createHost, type Host } from '../host'
import { recordingContext } from '../testing/context'
import { tempHome } from '../testing/home'

let host: Host
let server: RunningServer
afterEach(async () => {
  await server?.close()
  await host?.close()
})

async function start() {
  host = createHost({ home: tempHome(), shell: 'test' })
  server = await startServer(host, { port: 0, rendererDir: '/nonexistent' })
  const base = server.url.replace(/\/$/, '')
  const auth = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }
  const post = async (path: string, body: unknown) => {
    const res = await fetch(base + path, { method: 'POST', headers: auth, body: JSON.stringify(body) })
    return { status: res.status, body: (await res.json()) as any }
  }
  const get = async (path: string) => {
    const res = await fetch(base + path, { headers: auth })
    return { status: res.status, body: (await res.json()) as any }
  }
  return { post, get }
}

describe('alpha program over REST', () => {
  it('registers an adopter, takes feedback and reports status at the routes the issue names', async () => {
    const { post, get } = await start()
    const invite = await post('/v4/alpha/invitations', { accessLevel: 'full', days: 3 })
    expect(invite.status).toBe(200)
    const registered = await post('/v4/alpha/adopter/register', { name: 'Ada', email: 'ada@example.org', organization: 'Edge Co', invitationCode: invite.body.code })
    expect(registered).toMatchObject({ status: 200, body: { status: 'approved', accessLevel: 'full' } })
    const again = await post('/v4/alpha/adopter/register', { name: 'Bob', email: 'bob@example.org', invitationCode: invite.body.code })
    expect(again.status).toBe(403)
    expect(again.body.error.message).toMatch(/used already/)
    const bad = await post('/v4/alpha/adopter/register', { name: 'Eve', email: 'not-an-email' })
    expect(bad.status).toBe(400)

    const feedback = await post('/v4/alpha/feedback', { adopterId: registered.body.id, type: 'bug', category: 'wasm', severity: 'critical', title: 'Trap on start', description: 'x' })
    expect(feedback).toMatchObject({ status: 200, body: { status: 'open', criticalFix: { state: 'running' }, overdue: false } })

    const status = await get('/v4/alpha/status')
    expect(status.status).toBe(200)
    expect(status.body).toMatchObject({ adopters: { approved: 1, capacity: 100 }, feedback: { open: 1, openCriticalBugs: 1 }, readiness: { recommendedForProduction: false } })
    expect(status.body.readiness.parts.map((p: { id: string }) => p.id)).toEqual(['critical_bugs', 'sla', 'adoption', 'benchmarks'])

    // Nothing personal in the audit log: the adopter is named by id, the email never appears.
    const audit = JSON.stringify(host.audit.log.query({ action: 'release.adopter.register' }))
    expect(audit).toContain(registered.body.id)
    expect(audit).not.toContain('ada@example.org')
    expect(audit).not.toContain(invite.body.code)
  })

  it('sets and evaluates flags; a disabled wasm_runtime refuses wasm.execute, visibly', async () => {
    const { post, get } = await start()
    const run = () => post('/v4/wasm/execute', { module: { builtin: 'trivial' } })
    expect((await run()).status).toBe(200)
    expect((await post('/v4/release/flags', { name: 'wasm_runtime', enabled: false })).body).toMatchObject({ created: false, flag: { enabled: false } })
    const refused = await run()
    expect(refused.status).toBe(503)
    expect(refused.body.error.message).toContain('flag wasm_runtime is off for default (disabled)')
    const list = await get('/v4/release/flags')
    expect(list.body.find((f: { name: string }) => f.name === 'wasm_runtime')).toMatchObject({ enabled: false })
    const evals = await post('/v4/release/flags/evaluate', { name: 'enhanced_compression', users: ['u1', 'u2'] })
    expect(evals.body).toHaveLength(2)
    expect(evals.body[0].reason).toMatch(/^bucket \d+/)
    expect((await post('/v4/release/flags/evaluate', { name: 'no_such_flag', users: ['u1'] })).status).toBe(404)
    expect((await post('/v4/release/flags', { name: 'x', rollout: 101 })).status).toBe(400)
  })

  it('rolls back to v3 and forward over the contract, auditing the whole rollback', async () => {
    host = createHost({ home: tempHome(), shell: 'test' })
    const { ctx } = recordingContext()
    const back = (await host.call('release.rollbackToV3', {}, ctx)) as { flagsTurnedOff: string[] }
    expect(back.flagsTurnedOff).toContain('wasm_runtime')
    await expect(host.call('wasm.execute', { module: { builtin: 'trivial' } }, ctx)).rejects.toThrow(/flag wasm_runtime is off/)
    const info = (await host.call('system.info', {}, ctx)) as { engines: { id: string; ready: boolean }[] }
    expect(info.engines.find((e) => e.id === 'release')?.ready).toBe(true)
    await host.call('release.rollforwardToV4', {}, ctx)
    expect(host.release.isEnabled('wasm_runtime', 'default')).toBe(true)
    const entries = host.audit.log.query({ action: 'release.rollback' })
    expect(entries[0]).toMatchObject({ outcome: 'ok', safety: 'dangerous' })
  })
})
