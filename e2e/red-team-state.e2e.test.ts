/**
 * Red team: crashes and hostile hands on the state. A real `dwcp serve` and real `dwcp` processes on
 * real data folders: kill -9 in the middle of audited changes, an audit row deleted behind the
 * triggers' back, restores over a damaged and over an emptied database. What a user must see: no
 * change without its audit entry, no history rolled back unnoticed, and files only they can read.
 */
import Database from 'better-sqlite3'
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { launcher, startServe, type ServeProcess } from './support/server'
import { healthBar, probeHealth, stillRunning } from './support/red-team'

const homes: string[] = []
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true })
})

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'dwcp-red-state-'))
  homes.push(home)
  return home
}

/** `dwcp …` as a user runs it: exit status and what it printed. */
function run(home: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [launcher, ...args], { env: { ...process.env, DWCP_HOME: home }, encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The same without blocking this process, for while the console is being probed. */
function runAsync(home: string, ...args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [launcher, ...args], { env: { ...process.env, DWCP_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stderr })))
}

function ok(home: string, ...args: string[]): string {
  const r = run(home, ...args)
  if (r.status !== 0) throw new Error(`dwcp ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

interface FlagView {
  name: string
  description: string
  enabled: boolean
  rollout: number
}

function flag(home: string, name: string): FlagView | undefined {
  return (JSON.parse(ok(home, 'flags', 'list', '--json')) as FlagView[]).find((f) => f.name === name)
}

/** The audit entries as stored, read straight from the database file. */
function auditRows(home: string, file = join(home, 'dwcp.db')): { seq: number; action: string; outcome: string; details: Record<string, unknown> }[] {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const rows = db.prepare('SELECT seq, action, outcome, details FROM audit_entries ORDER BY seq').all() as { seq: number; action: string; outcome: string; details: string }[]
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }))
  } finally {
    db.close()
  }
}

function api(serve: ServeProcess, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(new URL(path, serve.url), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  })
}

/** Flag changes from several clients at once, each with a description no other change has, until stopped. */
function changeFlagsInALoop(serve: ServeProcess, token: string, tag: string, clients = 4, pauseMs = 0) {
  let running = true
  let sent = 0
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; running; i++) {
      sent++
      await api(serve, token, 'POST', '/v4/release/flags', { name: 'red_team', description: `${tag}-c${c}-${i}`, enabled: i % 2 === 0, rollout: i % 101 }).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      )
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs))
    }
  })
  return {
    async stop() {
      running = false
      await Promise.all(loops)
      return sent
    },
  }
}

async function killHard(serve: ServeProcess): Promise<void> {
  if (!stillRunning(serve.child)) return
  const exited = new Promise((r) => serve.child.once('exit', r))
  serve.child.kill('SIGKILL')
  await exited
}

describe('no change without its audit entry', () => {
  it('keeps every committed flag change with its entry through 20 kill -9 of dwcp serve in the middle of changes', async () => {
    const home = newHome()
    let token = ''
    for (let round = 0; round < 20; round++) {
      const serve = await startServe({ home })
      token ||= ok(home, 'token').trim()
      const changes = changeFlagsInALoop(serve, token, `round${round}`)
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400))
      await killHard(serve)
      await changes.stop()

      // What is stored must be what an entry says was done.
      const stored = flag(home, 'red_team')
      if (!stored) continue // killed before the first change committed
      const recorded = auditRows(home).filter((e) => e.action === 'release.flag.set' && e.outcome === 'ok' && e.details.description === stored.description)
      expect(recorded, `round ${round}: the stored change "${stored.description}" has no audit entry`).toHaveLength(1)
      expect(recorded[0].details).toMatchObject({ enabled: stored.enabled, rollout: stored.rollout })
    }
    const verify = run(home, 'audit', 'verify')
    expect(verify.stderr).toBe('')
    expect(verify.status).toBe(0)

    // And after all that, the console serves while changes go on.
    const serve = await startServe({ home })
    const bar = await healthBar(serve.url)
    const probe = probeHealth(serve.url)
    const changes = changeFlagsInALoop(serve, token, 'final', 1, 20)
    await new Promise((r) => setTimeout(r, 2_000))
    expect(await changes.stop()).toBeGreaterThan(0)
    const health = await probe.stop()
    expect(health.failures).toBe(0)
    expect(health.p99Ms).toBeLessThan(bar)
    await killHard(serve)
  }, 900_000)

  it('refuses a change, leaving the state as it was, once a middle audit row is deleted behind the triggers', async () => {
    const home = newHome()
    const serve = await startServe({ home })
    try {
      const token = ok(home, 'token').trim()
      for (const enabled of [true, false, true]) expect((await api(serve, token, 'POST', '/v4/release/flags', { name: 'guarded', enabled })).status).toBe(200)
      const before = flag(home, 'guarded')!
      expect(before.enabled).toBe(true)

      // The attacker: sqlite, the triggers dropped, one entry from the middle gone.
      const db = new Database(join(home, 'dwcp.db'))
      db.exec('DROP TRIGGER audit_entries_no_delete')
      const size = db.prepare('SELECT COUNT(*) FROM audit_entries').pluck().get() as number
      db.prepare('DELETE FROM audit_entries WHERE seq = ?').run(Math.floor(size / 2))
      db.close()

      const cli = await runAsync(home, 'flags', 'set', 'guarded', '--enabled', 'false')
      expect(cli.status).not.toBe(0)
      expect(cli.stderr).toMatch(/not done: .*audit log is damaged: .*removed/)
      const bar = await healthBar(serve.url)
      const probe = probeHealth(serve.url)
      for (let i = 0; i < 20; i++) {
        const overApi = await api(serve, token, 'POST', '/v4/release/flags', { name: 'guarded', enabled: false })
        expect(overApi.status).toBeGreaterThanOrEqual(400)
        expect(((await overApi.json()) as { error: { message: string } }).error.message).toMatch(/audit log is damaged/)
      }
      const health = await probe.stop()
      expect(health.failures).toBe(0)
      expect(health.p99Ms).toBeLessThan(bar)

      expect(flag(home, 'guarded')).toMatchObject({ enabled: true, description: before.description })
      const flags = (await (await api(serve, token, 'GET', '/v4/release/flags')).json()) as FlagView[]
      expect(flags.find((f) => f.name === 'guarded')?.enabled).toBe(true)
      expect(run(home, 'audit', 'verify').status).toBe(1)
      expect(stillRunning(serve.child)).toBe(true)
    } finally {
      await killHard(serve)
    }
  }, 300_000)
})

describe('history is never rolled back by a restore', () => {
  /** A data folder with a backup, then more history after it. */
  function historyAfterABackup(): { home: string; backup: string; entries: number; inBackup: number } {
    const home = newHome()
    ok(home, 'flags', 'set', 'kept', '--enabled', 'true')
    const backup = (JSON.parse(ok(home, 'backup', 'create', '--json')) as { file: string }).file
    for (const rollout of [10, 20, 30]) ok(home, 'flags', 'set', 'kept', '--rollout', String(rollout))
    return { home, backup, entries: auditRows(home).length, inBackup: auditRows(home, backup).length }
  }

  it('carries the newer history over when restoring over a damaged database, and records the restore', async () => {
    const { home, backup, entries, inBackup } = historyAfterABackup()
    // Damage the flags table's pages, the way a disk or a stray write would; the audit pages survive.
    const db = new Database(join(home, 'dwcp.db'))
    const pageSize = db.pragma('page_size', { simple: true }) as number
    const pages = db.prepare(`SELECT pageno FROM dbstat WHERE name = 'release_flags'`).pluck().all() as number[]
    db.close()
    const fd = openSync(join(home, 'dwcp.db'), 'r+')
    for (const page of pages) writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (page - 1) * pageSize)
    closeSync(fd)
    const broken = run(home, 'info')
    expect(broken.status).toBe(1)
    expect(broken.stderr).toContain(`dwcp backup restore ${backup}`)

    const restored = run(home, 'backup', 'restore', backup)
    expect(restored.stderr).toMatch(/moved aside/)
    expect(restored.status).toBe(0)
    const after = auditRows(home)
    expect(after.length).toBe(entries + 1)
    expect(after.at(-1)).toMatchObject({ action: 'backup.restore', outcome: 'ok', details: { intoDamagedFolder: true, carriedOver: entries - inBackup, historyShortened: false } })
    expect(run(home, 'audit', 'verify').status).toBe(0)
    expect(flag(home, 'kept')?.rollout).toBe(100) // the state is the backup's

    const serve = await startServe({ home })
    homes.pop() // stop() removes the folder
    const bar = await healthBar(serve.url)
    const probe = probeHealth(serve.url)
    await new Promise((r) => setTimeout(r, 500))
    const health = await probe.stop()
    expect(health.failures).toBe(0)
    expect(health.p99Ms).toBeLessThan(bar)
    await serve.stop()
  }, 300_000)

  it('calls a 0-byte database an error naming the newest backup, and restores a shorter history only when told to, on the record', () => {
    const { home, backup, entries, inBackup } = historyAfterABackup()
    expect(inBackup).toBeLessThan(entries)
    truncateSync(join(home, 'dwcp.db'), 0)

    const broken = run(home, 'flags', 'list')
    expect(broken.status).toBe(1)
    expect(broken.stderr).toMatch(/empty \(0 bytes\)/)
    expect(broken.stderr).toContain(`dwcp backup restore ${backup}`)
    expect(statSync(join(home, 'dwcp.db')).size).toBe(0) // not silently made into a new installation

    const refused = run(home, 'backup', 'restore', backup)
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(new RegExp(`its audit log has ${inBackup} entries, but this installation's had ${entries} .*--allow-shorter-history`))
    expect(statSync(join(home, 'dwcp.db')).size).toBe(0)

    const forced = run(home, 'backup', 'restore', backup, '--allow-shorter-history')
    expect(forced.status).toBe(0)
    expect(forced.stderr).toMatch(/warning: the audit log now has/)
    const after = auditRows(home)
    expect(after.at(-1)).toMatchObject({ action: 'backup.restore', outcome: 'ok', details: { allowShorterHistory: true, historyShortened: true, entriesBefore: entries, entriesRestored: inBackup } })
    expect(run(home, 'audit', 'verify').status).toBe(0)
    expect(ok(home, 'flags', 'set', 'kept', '--rollout', '40')).toMatch(/rollout 40%/)
  }, 300_000)
})

describe('files only the owner can read', () => {
  it('creates the data folder 0700 and the database, its WAL, the log, backups, exports and keys 0600', () => {
    const home = join(newHome(), 'data')
    ok(home, 'flags', 'set', 'private', '--enabled', 'true')
    ok(home, 'backup', 'create')
    ok(home, 'audit', 'export', join(home, 'exports-audit.dwcpaudit'))
    ok(home, 'token')
    const mode = (file: string) => (statSync(file).mode & 0o777).toString(8)
    expect(mode(home)).toBe('700')
    const files = [
      'dwcp.db',
      'logs/dwcp.log',
      'audit-signing-key.json',
      'audit-high-water.json',
      'exports-audit.dwcpaudit',
      ...readdirSync(join(home, 'backups')).map((f) => `backups/${f}`),
    ]
    expect(files.filter((f) => f.startsWith('backups/'))).toHaveLength(2)
    for (const file of files) expect(`${file} ${mode(join(home, file))}`).toBe(`${file} 600`)

    // While a process has it open, the WAL and its index are private too.
    const db = new Database(join(home, 'dwcp.db'))
    db.prepare('SELECT 1').get()
    for (const suffix of ['-wal', '-shm']) expect(`${suffix} ${mode(join(home, `dwcp.db${suffix}`))}`).toBe(`${suffix} 600`)
    db.close()
  }, 120_000)
})
