import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempHome } from '../testing/home'
import { createBackup, listBackups, openSqlite, restoreBackup, restoreIntoDamagedHome, Store, verifyBackup } from './index'

const THINGS = [{ version: 1, name: 'things', up: 'CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT' }]

function storeWithThings(home: string, ...names: string[]): Store {
  const store = Store.open({ home })
  store.migrate('demo', THINGS)
  for (const name of names) store.db.prepare('INSERT INTO things (name) VALUES (?)').run(name)
  return store
}

const things = (store: Store) => (store.db.prepare('SELECT name FROM things ORDER BY id').all() as { name: string }[]).map((r) => r.name)

describe('backup and restore of the whole state', () => {
  it('backs up, lists, verifies and restores, keeping the replaced state as a backup', async () => {
    const home = tempHome()
    const store = storeWithThings(home, 'alpha', 'beta')
    const backup = await createBackup(store, { reason: 'before the change' })
    expect(backup.file.startsWith(join(home, 'backups'))).toBe(true)
    expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/)

    store.db.prepare('DELETE FROM things').run()
    store.db.prepare('INSERT INTO things (name) VALUES (?)').run('gamma')

    expect(listBackups(store).map((b) => b.name)).toEqual([backup.name])
    expect(listBackups(store)[0].reason).toBe('before the change')
    expect(await verifyBackup(backup.file, store.knownSchema())).toMatchObject({ ok: true, problems: [], schema: { store: 1, demo: 1 } })

    const result = await restoreBackup(store, backup.file)
    expect(things(store)).toEqual(['alpha', 'beta'])
    expect(result.previousStateSavedTo).toBeTruthy()
    // The replaced state is itself a restorable backup.
    const previous = openSqlite(result.previousStateSavedTo!, { readonly: true })
    expect(previous.prepare('SELECT name FROM things').all()).toEqual([{ name: 'gamma' }])
    previous.close()
    expect(listBackups(store)).toHaveLength(2)
    store.close()

    // And the restored state is what a restart sees.
    const reopened = Store.open({ home })
    reopened.migrate('demo', THINGS)
    expect(things(reopened)).toEqual(['alpha', 'beta'])
    reopened.close()
  })

  it('keeps working while writes go on during the backup (online backup)', async () => {
    const home = tempHome()
    const store = storeWithThings(home, ...Array.from({ length: 5000 }, (_, i) => `row-${i}`))
    const pending = createBackup(store)
    store.db.prepare('INSERT INTO things (name) VALUES (?)').run('written during backup')
    const backup = await pending
    expect((await verifyBackup(backup.file, store.knownSchema())).ok).toBe(true)
    expect(things(store)).toContain('written during backup')
    store.close()
  })

  it('fails verification of a backup with one changed byte, and refuses to restore it', async () => {
    const home = tempHome()
    const store = storeWithThings(home, 'alpha')
    const backup = await createBackup(store)
    const bytes = readFileSync(backup.file)
    const fd = openSync(backup.file, 'r+')
    writeSync(fd, Buffer.from([bytes[bytes.length - 100] ^ 0x01]), 0, 1, bytes.length - 100)
    closeSync(fd)
    const verdict = await verifyBackup(backup.file, store.knownSchema())
    expect(verdict.ok).toBe(false)
    expect(verdict.problems.join(' ')).toMatch(/changed after it was made/)
    store.db.prepare('INSERT INTO things (name) VALUES (?)').run('current')
    await expect(restoreBackup(store, backup.file)).rejects.toThrow(/refusing to restore/)
    expect(things(store)).toEqual(['alpha', 'current'])
    store.close()
  })

  it('refuses a backup that is not a database, and one from a newer version', async () => {
    const home = tempHome()
    const store = storeWithThings(home)
    const junk = join(home, 'backups', 'junk.db')
    writeFileSync(junk, 'this is not a database'.repeat(100))
    expect((await verifyBackup(junk, store.knownSchema())).problems).toEqual(['it is not a SQLite database'])

    const backup = await createBackup(store)
    const copy = openSqlite(backup.file)
    copy.prepare("INSERT INTO schema_migrations VALUES ('demo', 2, 'future', '2030-01-01')").run()
    copy.close()
    writeFileSync(backup.file + '.sha256', '') // drop the seal so only the schema speaks
    const verdict = await verifyBackup(backup.file, store.knownSchema())
    expect(verdict.problems).toEqual(['its demo schema is version 2, newer than this version knows (1)'])
    store.close()
  })

  it('restores into a data folder whose database is destroyed, moving the damaged file aside', async () => {
    const home = tempHome()
    const store = storeWithThings(home, 'alpha')
    const backup = await createBackup(store)
    store.close()
    writeFileSync(join(home, 'dwcp.db'), Buffer.alloc(4096, 0x42))
    expect(() => Store.open({ home })).toThrow(/dwcp backup restore/)

    const result = await restoreIntoDamagedHome(home, backup.file, { store: 1, demo: 1 })
    expect(result.previousStateSavedTo).toMatch(/dwcp\.db\.damaged-/)
    expect(readFileSync(result.previousStateSavedTo!)).toEqual(Buffer.alloc(4096, 0x42))
    const reopened = Store.open({ home })
    reopened.migrate('demo', THINGS)
    expect(things(reopened)).toEqual(['alpha'])
    reopened.close()
  })

  it('never leaves a partial backup that looks whole', async () => {
    const home = tempHome()
    const store = storeWithThings(home, 'alpha')
    const target = join(home, 'backups', 'taken.db')
    writeFileSync(target, 'occupied')
    await expect(createBackup(store, { file: target })).rejects.toThrow(/exists already/)
    expect(readFileSync(target, 'utf8')).toBe('occupied')
    expect(existsSync(target + '.partial')).toBe(false)
    store.close()
  })
})
