import Database from 'better-sqlite3'
import { closeSync, existsSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempHome } from '../testing/home'
import { createBackup, SchemaTooNewError, Store, StoreCorruptError } from './index'

describe('store', () => {
  it('creates the database in the data folder with WAL, foreign keys and the DWCP application id', () => {
    const home = tempHome()
    const store = Store.open({ home })
    expect(existsSync(join(home, 'dwcp.db'))).toBe(true)
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(store.db.pragma('application_id', { simple: true })).toBe(0x44574350)
    expect(store.schema()).toEqual({ store: 1 })
    store.close()
  })

  it('applies an engine’s migrations once, in order, and keeps them across reopen', () => {
    const home = tempHome()
    const migrations = [
      { version: 1, name: 'things', up: 'CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT' },
      { version: 2, name: 'thing colour', up: "ALTER TABLE things ADD COLUMN colour TEXT NOT NULL DEFAULT 'red'" },
    ]
    const first = Store.open({ home })
    first.migrate('demo', migrations.slice(0, 1))
    first.db.prepare('INSERT INTO things (name) VALUES (?)').run('a')
    first.close()

    const second = Store.open({ home })
    second.migrate('demo', migrations)
    expect(second.schema().demo).toBe(2)
    expect(second.db.prepare('SELECT name, colour FROM things').all()).toEqual([{ name: 'a', colour: 'red' }])
    second.close()
  })

  it('refuses a database whose schema is newer than this version knows', () => {
    const home = tempHome()
    const newer = Store.open({ home })
    newer.migrate('demo', [
      { version: 1, name: 'a', up: 'CREATE TABLE a (x) ' },
      { version: 2, name: 'b', up: 'CREATE TABLE b (x)' },
    ])
    newer.close()
    const older = Store.open({ home })
    expect(() => older.migrate('demo', [{ version: 1, name: 'a', up: 'CREATE TABLE a (x)' }])).toThrow(SchemaTooNewError)
    older.close()
  })

  it('rolls back a failing migration step as a whole', () => {
    const home = tempHome()
    const store = Store.open({ home })
    expect(() =>
      store.migrate('demo', [{ version: 1, name: 'half', up: 'CREATE TABLE ok (x); CREATE TABLE broken (' }]),
    ).toThrow()
    expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok'").get()).toBeUndefined()
    expect(store.schema().demo).toBeUndefined()
    store.close()
  })

  it('names the damaged file and the newest backup when the database is corrupt', async () => {
    const home = tempHome()
    const store = Store.open({ home })
    const backup = await createBackup(store)
    store.close()
    writeFileSync(join(home, 'dwcp.db'), Buffer.alloc(8192, 0x5a))
    let error: unknown
    try {
      Store.open({ home })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(StoreCorruptError)
    const message = (error as Error).message
    expect(message).toContain(join(home, 'dwcp.db'))
    expect(message).toContain('not a SQLite database')
    expect(message).toContain(`dwcp backup restore ${backup.file}`)
  })

  it('detects damage inside an otherwise valid database file at start', () => {
    const home = tempHome()
    const store = Store.open({ home })
    store.db.exec('CREATE TABLE filler (x TEXT)')
    const insert = store.db.prepare('INSERT INTO filler VALUES (?)')
    store.db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run('x'.repeat(200))
    })()
    store.db.pragma('wal_checkpoint(TRUNCATE)')
    store.close()
    // Overwrite one interior page with garbage: the header still says "SQLite format 3".
    const file = join(home, 'dwcp.db')
    const fd = openSync(file, 'r+')
    writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, 4096 * 3)
    closeSync(fd)
    expect(() => Store.open({ home })).toThrow(/cannot be used/)
  })

  it('refuses a SQLite file of another application', () => {
    const home = tempHome()
    const other = new Database(join(home, 'dwcp.db'))
    other.pragma('application_id = 1234')
    other.exec('CREATE TABLE t (x)')
    other.close()
    expect(() => Store.open({ home })).toThrow(/not a DWCP database/)
  })
})
