/**
 * The last line of the shells, in real processes: an unhandled rejection is logged and the process
 * keeps serving; an uncaught exception is logged, told in one line, what is open is closed, exit 1.
 * Neither writes a secret.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const fixture = fileURLToPath(new URL('./testing/process-guard-fixture.ts', import.meta.url))

function run(what: 'rejection' | 'exception') {
  const home = mkdtempSync(join(tmpdir(), 'dwcp-guard-'))
  const r = spawnSync(process.execPath, ['--import', 'tsx', fixture, what], { env: { ...process.env, DWCP_HOME: home }, encoding: 'utf8', timeout: 60_000 })
  const log = readFileSync(join(home, 'logs', 'dwcp.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string; stack?: string } })
  return { ...r, home, log }
}

describe('the process guard', () => {
  it('logs an unhandled rejection without its secret and keeps serving', () => {
    const r = run('rejection')
    expect(r.stdout).toBe('still serving\n')
    expect(r.status).toBe(0)
    const entry = r.log.find((l) => l.msg === 'unhandled promise rejection; contained, still serving')
    expect(entry?.err?.message).toBe('a request failed with token dwcp-enrol-[redacted]')
    expect(JSON.stringify(r.log)).not.toContain('SECRET')
  }, 60_000)

  it('on an uncaught exception: logs it, says so in one line, closes, exits 1', () => {
    const r = run('exception')
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('closed\n')
    expect(r.stderr).toBe(`fixture serve: stopping after an internal error: a bug with dwcp-enrol-[redacted] in its message (details in ${join(r.home, 'logs', 'dwcp.log')})\n`)
    const entry = r.log.find((l) => l.msg === 'uncaught exception; stopping')
    expect(entry?.level).toBe(60)
    expect(entry?.err?.stack).toMatch(/process-guard-fixture/)
    expect(JSON.stringify(r.log) + r.stderr).not.toContain('SECRET')
  }, 60_000)
})
