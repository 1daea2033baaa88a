/**
 * Hostile backup files through the real verify and restore paths: truncations, bit flips, another
 * SQLite database, text, nothing at all. Every one ends in a verdict or a typed refusal, never a crash,
 * and a refused restore leaves the live state exactly as it was.
 */
import fc from 'fast-check'
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ApiError } from '../api/errors'
import { createHost, knownSchema, type Host } from '../host'
import { recordingContext } from '../testing/context'
import { tempHome } from '../testing/home'
import { applyEdit, fileEditKinds, type Edit } from '../testing/mutations'
import { BackupError, openSqlite, restoreBackup, restoreIntoDamagedHome, verifyBackup } from './index'

type Mutation = Edit | { kind: 'empty' } | { kind: 'other-sqlite' }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Random bytes up to 20 KB: past a SQLite header and its first pages.
  ...fileEditKinds(20_000),
  fc.constant({ kind: 'empty' as const }),
  fc.constant({ kind: 'other-sqlite' as const }),
)

function mutate(original: Buffer, m: Mutation, otherSqlite: Buffer): Buffer {
  switch (m.kind) {
    case 'empty':
      return Buffer.alloc(0)
    case 'other-sqlite':
      return otherSqlite
    default:
      return applyEdit(original, m)
  }
}

/** Everything but the audit log (which grows by design as verifications are recorded). */
function liveState(host: Host): string {
  const db = host.store.db
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'audit%' AND name NOT LIKE 'sqlite%' ORDER BY name`).pluck().all() as string[])
  return JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).raw().all()]))
}

/** A refusal a user can read: a BackupError from the engine, or an ApiError that is not an internal failure. */
function expectTypedRefusal(err: unknown): void {
  if (err instanceof BackupError) return
  if (err instanceof ApiError && err.code !== 'internal') return
  throw new Error(`not a typed refusal: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
}

const hosts: Host[] = []
afterAll(async () => {
  for (const host of hosts) await host.close()
})

describe('hostile backup files', () => {
  it('verify and restore give a verdict or a typed refusal, and a refused restore changes nothing', async () => {
    const home = tempHome()
    const host = createHost({ home, shell: 'cli' })
    hosts.push(host)
    const { ctx } = recordingContext('fuzz', 'test')
    await host.call('release.flags.set', { name: 'fuzz_guard', enabled: true, rollout: 42 }, ctx)
    const made = (await host.call('backup.create', { reason: 'fuzz original' }, ctx)) as { file: string }
    const original = readFileSync(made.file)
    const sidecar = readFileSync(`${made.file}.sha256`, 'utf8')

    const other = join(home, 'other.db')
    const otherDb = openSqlite(other)
    otherDb.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES (\'not ours\')')
    otherDb.pragma('journal_mode = DELETE')
    otherDb.close()
    const otherSqlite = readFileSync(other)

    // A data folder whose database is destroyed, for the restore that runs without a host.
    const damagedHome = tempHome()
    writeFileSync(join(damagedHome, 'dwcp.db'), Buffer.alloc(4096, 0x42))

    let run = 0
    await fc.assert(
      fc.asyncProperty(mutation, fc.boolean(), async (m, keepSidecar) => {
        const name = `fuzz-${run++}.db`
        const file = join(host.store.backupsDir, name)
        writeFileSync(file, mutate(original, m, otherSqlite))
        if (keepSidecar) writeFileSync(`${file}.sha256`, sidecar.replace(/\S+$/m, name))
        const before = liveState(host)
        const entriesBefore = host.audit.log.size

        const verdict = await verifyBackup(file, host.store.knownSchema()).catch((err) => (expectTypedRefusal(err), null))
        const overApi = (await host.call('backup.verify', { file: name }, ctx).catch((err) => (expectTypedRefusal(err), null))) as { ok: boolean } | null
        expect(overApi?.ok).toBe(verdict?.ok)

        const restored = await restoreBackup(host.store, file).then(
          () => true,
          (err) => (expectTypedRefusal(err), false),
        )
        if (!restored) expect(liveState(host)).toBe(before)
        expect(restored).toBe(verdict?.ok === true)
        expect(host.audit.log.size).toBeGreaterThanOrEqual(entriesBefore)

        const damagedBytes = readFileSync(join(damagedHome, 'dwcp.db'))
        const intoDamaged = await restoreIntoDamagedHome(damagedHome, file, knownSchema()).then(
          () => true,
          (err) => (expectTypedRefusal(err), false),
        )
        if (intoDamaged) writeFileSync(join(damagedHome, 'dwcp.db'), Buffer.alloc(4096, 0x42))
        else expect(readFileSync(join(damagedHome, 'dwcp.db'))).toEqual(damagedBytes)

        for (const f of [file, `${file}.sha256`]) rmSync(f, { force: true })
      }),
      { numRuns: 60 },
    )
    // The mutated files were all refused or restored: the original still restores, and the state is whole.
    copyFileSync(made.file, join(host.store.backupsDir, 'again.db'))
    await restoreBackup(host.store, join(host.store.backupsDir, 'again.db'))
    expect(host.release.flags.get('fuzz_guard')).toMatchObject({ enabled: true, rollout: 42 })
    expect(existsSync(host.store.file)).toBe(true)
    expect((await host.audit.verify()).ok).toBe(true)
  }, 600_000)
})
