/** The release commands as a user types them, through the built `dwcp` launcher. */
import { describe, expect, it } from 'vitest'
import { dwcp } from '../testing/cli'
import { tempHome } from '../testing/home'

describe('dwcp flags / adopters / feedback / release / rollback', () => {
  it('creates a flag with set, lists it, and evaluates users as one JSON line each', () => {
    const home = tempHome()
    const set = dwcp(home, 'flags', 'set', 'new_dashboard', '--enabled', 'true', '--rollout', '30', '--users', 'alice,bob', '--env', 'alpha,beta', '--expires', '2099-01-01T00:00:00Z')
    expect(set).toMatchObject({ status: 0, stdout: 'created new_dashboard: on, rollout 30%, env alpha,beta, users alice,bob, expires 2099-01-01T00:00:00.000Z\n' })
    expect(dwcp(home, 'flags', 'list').stdout).toMatch(/^new_dashboard\s+on\s+30%\s+env alpha,beta\s+2 users\s+expires 2099/m)
    const lines = dwcp(home, 'flags', 'eval', 'new_dashboard', 'alice', 'gr1', 'zed', '--json').stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines).toHaveLength(3)
    expect(lines[0]).toEqual({ user: 'alice', enabled: true, reason: 'in the flag’s user list' })
    for (const line of lines.slice(1)) expect(Object.keys(line)).toEqual(['user', 'enabled', 'reason'])
    expect(lines[1].reason).toMatch(/^bucket \d+ [≤>] rollout 30%$/)
  })

  it('refuses bad input with one line on stderr and a non-zero exit, changing nothing', () => {
    const home = tempHome()
    expect(dwcp(home, 'flags', 'set', 'wasm_runtime', '--enabled', 'yes')).toMatchObject({ status: 2, stderr: 'dwcp: --enabled takes true or false, not "yes"\n' })
    expect(dwcp(home, 'flags', 'set', 'wasm_runtime', '--rollout', '150')).toMatchObject({ status: 2 })
    const unknown = dwcp(home, 'flags', 'eval', 'nope', 'alice', '--json')
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/no flag named "nope"/)
    expect(dwcp(home, 'rollback', 'v2')).toMatchObject({ status: 2, stderr: 'dwcp: only `dwcp rollback v3` exists, not "v2"\n' })
    expect(dwcp(home, 'flags', 'list', '--json').stdout).toMatch(/"name":"wasm_runtime","description":"[^"]*","enabled":true,"rollout":100/)
  })

  it('runs the alpha program: invitation, registration, feedback, status, rollback and roll forward', () => {
    const home = tempHome()
    const code = dwcp(home, 'adopters', 'invite', '--level', 'experimental').stdout.trim()
    expect(code).toMatch(/^DWCP(-[0-9A-Z]{5}){4}$/)
    const registered = dwcp(home, 'adopters', 'register', '--name', 'Ada', '--email', 'ada@example.org', '--code', code)
    expect(registered.stdout).toMatch(/^ad_[0-9a-f]{12}: approved \(experimental access\)\n$/)
    expect(dwcp(home, 'adopters', 'register', '--name', 'Bob', '--email', 'bob@example.org', '--code', code).stderr).toMatch(/used already/)
    expect(dwcp(home, 'feedback', 'submit', '--type', 'bug', '--severity', 'critical', '--category', 'wasm', '--title', 'Trap').stdout).toMatch(/^#1\s+open\s+bug\/critical\s+Trap\s+\[response due in 24\.0 h, fix due in 48\.0 h\]/)
    const status = dwcp(home, 'release', 'status').stdout
    expect(status).toMatch(/^readiness \d+\/100 — not recommended for production \(needs 80\)/)
    expect(status).toMatch(/Open critical bugs\s+15 \/ 30\s+1 open/)
    const back = dwcp(home, 'rollback', 'v3')
    expect(back.stdout).toMatch(/^rolled back to v3 \(record #1\)\n {2}backup \(verified\) {2}\S+\.db\n {2}flags turned off {3}ai_llm_integration, edge_cloud_continuum, enhanced_compression, quantum_crypto, wasm_runtime\n/)
    expect(dwcp(home, 'wasm', 'run', 'builtin:trivial', '--invoke', 'add', '1', '2').stderr).toMatch(/flag wasm_runtime is off/)
    expect(dwcp(home, 'info', '--json').stdout).toMatch(/"activeProtocolVersion":"3\.0\.0"/)
    expect(dwcp(home, 'rollforward', 'v4').stdout).toMatch(/flags turned on {4}ai_llm_integration, edge_cloud_continuum, enhanced_compression, quantum_crypto, wasm_runtime/)
    expect(dwcp(home, 'audit', 'list', '--action', 'release.rollback', '--json').stdout).toMatch(/"outcome":"ok"/)
  }, 300_000) // a dozen `dwcp` processes one after another: minutes on a busy two-core machine
})
