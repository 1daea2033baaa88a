/**
 * `dwcp intent` and `dwcp llm execute` as an operator runs them: the built CLI in a data folder,
 * answers typed on its standard input.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dwcp, dwcpWithInput } from '../testing/cli'
import { tempHome } from '../testing/home'

const EVAL_SET = join(__dirname, '..', 'intent', 'testdata', 'intents.jsonl')

describe('dwcp intent', () => {
  it('parse --json prints the intent with the keys the issue names', () => {
    const home = tempHome()
    const r = dwcp(home, 'intent', 'parse', '--offline', '--json', 'deploy 5 web servers with 8GB RAM in us-west-2')
    expect(r.status, r.stderr).toBe(0)
    const intent = JSON.parse(r.stdout)
    expect(intent).toMatchObject({ type: 'deploy', safety: 'caution', requiresConfirmation: true, parameters: { replicas: 5, memoryMB: 8192, region: 'us-west-2' } })
    expect(typeof intent.confidence).toBe('number')
    expect(intent.commands[0]).toMatch(/^dwcp deploy web /)
  })

  it('eval scores the in-repo set, and a bad file gets a clear error', () => {
    const home = tempHome()
    const r = dwcp(home, 'intent', 'eval', EVAL_SET, '--offline', '--json')
    expect(r.status, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.n).toBeGreaterThanOrEqual(300)
    expect(report.type_accuracy).toBeGreaterThanOrEqual(0.95)
    expect(report.per_type.destroy.safety_accuracy).toBe(1)
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['n', 'type_accuracy', 'safety_accuracy', 'param_accuracy', 'per_type', 'misses']))

    const bad = join(home, 'bad.jsonl')
    writeFileSync(bad, '{"text": "deploy web", "type": "deploy", "safety": "caution"}\nnot json\n')
    const refused = dwcp(home, 'intent', 'eval', bad, '--json')
    expect(refused.status).toBe(2)
    expect(refused.stderr).toMatch(/bad\.jsonl: line 2/)
  })
})

describe('dwcp llm execute', () => {
  it('asks on the terminal, deploys on yes, and a critical destroy needs the name typed even with --yes', () => {
    const home = tempHome()
    for (const [name, lat] of [['edge-a', 37.7], ['edge-b', 37.8]] as const) {
      expect(dwcp(home, 'edge', 'register', '--name', name, '--lat', String(lat), '--lon', '-122.4', '--region', 'us-west-2', '--cpu', '8', '--memory', '16GB', '--bandwidth', '1000', '--cost', '0.1').status).toBe(0)
    }
    const no = dwcpWithInput(home, 'n\n', 'llm', 'execute', 'deploy 2 replicas of api')
    expect(no.status).toBe(1)
    expect(no.stderr).toContain('caution: go ahead? [y/N]')
    expect(no.stdout).toContain('Declined: nothing was changed.')
    expect(dwcp(home, 'deployments').stdout).not.toContain('api')

    const yes = dwcpWithInput(home, 'y\n', 'llm', 'execute', 'deploy 2 replicas of api')
    expect(yes.status, yes.stderr).toBe(0)
    expect(yes.stdout).toMatch(/\[1\/1\] done: Deploy api: 2 replicas of http — api: \d\/2 replicas/)
    expect(yes.stdout).toContain('Done: 1 step carried out.')

    const untyped = dwcpWithInput(home, '', 'llm', 'execute', '--yes', '--backup', 'destroy api')
    expect(untyped.status).toBe(1)
    expect(untyped.stderr).toContain('This is critical. Type “api” to go ahead')
    expect(untyped.stdout).toContain('Declined: nothing was changed.')

    const typed = dwcpWithInput(home, 'api\n', 'llm', 'execute', '--yes', '--backup', '--json', 'destroy api')
    expect(typed.status, typed.stderr).toBe(0)
    const report = JSON.parse(typed.stdout)
    expect(report.steps.map((s: { method: string }) => s.method)).toEqual(['backup.create', 'backup.verify', 'edge.deployments.delete'])
    expect(report.status).toBe('done')

    const audit = dwcp(home, 'audit', 'list', '--json').stdout
    expect(audit).toContain('intent.decline')
    expect(audit).toContain('intent.result')
  })
})
