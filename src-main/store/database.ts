import Database from 'better-sqlite3'
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { historyMarkFile, readHistoryMark } from './history-mark'
import { sqliteNativeBinding } from './native-binding'
import { ensureMigrationTable, migrate, schemaVersions, type Migration } from './migrations'

/** PRAGMA application_id of every DWCP database and backup: "DWCP" in ASCII. */
export const APPLICATION_ID = 0x44574350
export const DATABASE_FILE = 'dwcp.db'
export const BACKUPS_DIR = 'backups'

export class StoreCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly newestBackup: string | null,
  ) {
    super(
      `The database ${file} cannot be used: ${reason}. ` +
        (newestBackup
          ? `Restore the newest backup with: dwcp backup restore ${newestBackup}`
          : `No backup was found in ${join(file, '..', BACKUPS_DIR)}; move the file aside to start with an empty state.`),
    )
    this.name = 'StoreCorruptError'
  }
}

export interface StoreOptions {
  /** The data folder. */
  home: string
  /** Skip the start-up integrity check (used by restore, which checks what it restores itself). */
  skipIntegrityCheck?: boolean
}

/** Open a SQLite file with the settings every DWCP connection uses. */
export function openSqlite(file: string, options: { readonly?: boolean; fileMustExist?: boolean } = {}): Database.Database {
  const nativeBinding = sqliteNativeBinding()
  const db = new Database(file, { ...options, ...(nativeBinding ? { nativeBinding } : {}) })
  if (!options.readonly) {
    // Only the owner may read the state. SQLite gives the -wal and -shm files the database's own mode,
    // so this comes before WAL mode makes them.
    keepPrivate(file)
    db.pragma('journal_mode = WAL')
    // NORMAL is durable across application crashes in WAL mode; only an OS crash may lose the last commits.
    db.pragma('synchronous = NORMAL')
  }
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  return db
}

/**
 * The one SQLite database of an installation. Engines add their tables through `migrate`; the store
 * itself keeps only the migration bookkeeping and a settings table.
 */
export class Store {
  readonly home: string
  readonly file: string
  readonly backupsDir: string
  private _db: Database.Database
  private readonly registered = new Map<string, readonly Migration[]>()
  private readonly preserved = new Set<string>()

  private constructor(home: string, db: Database.Database) {
    this.home = home
    this.file = join(home, DATABASE_FILE)
    this.backupsDir = join(home, BACKUPS_DIR)
    this._db = db
  }

  static open(options: StoreOptions): Store {
    const home = options.home
    mkdirSync(home, { recursive: true, mode: 0o700 })
    // A folder made before this rule, or by hand, may be open to others: it holds the keys and the state.
    chmodSync(home, 0o700)
    mkdirSync(join(home, BACKUPS_DIR), { recursive: true, mode: 0o700 })
    const file = join(home, DATABASE_FILE)
    // Only a folder with no database file at all is a new installation: an empty file is a lost one.
    const fresh = !existsSync(file)
    let db: Database.Database | undefined
    try {
      if (fresh) checkHistoryNotRolledBack(0, home)
      else if (statSync(file).size === 0) throw new Error('the file is empty (0 bytes): its content was lost')
      db = openSqlite(file)
      if (!options.skipIntegrityCheck && !fresh) checkIntegrity(db, 'quick_check')
      const appId = db.pragma('application_id', { simple: true }) as number
      if (fresh || appId === 0) db.pragma(`application_id = ${APPLICATION_ID}`)
      else if (appId !== APPLICATION_ID) throw new Error(`it is not a DWCP database (application_id ${appId})`)
      ensureMigrationTable(db)
      checkHistoryNotRolledBack(auditLogSize(db), home)
    } catch (err) {
      if (db?.open) db.close()
      throw new StoreCorruptError(file, describe(err), newestBackupIn(join(home, BACKUPS_DIR)))
    }
    const store = new Store(home, db!)
    store.migrate('store', STORE_MIGRATIONS)
    return store
  }

  get db(): Database.Database {
    return this._db
  }

  /** Bring an engine's tables up to date and remember its migrations (restore re-applies them). */
  migrate(engine: string, migrations: readonly Migration[]): void {
    migrate(this._db, engine, migrations)
    this.registered.set(engine, migrations)
  }

  /**
   * Tables a restore must leave as they are: the audit log is append-only, so restoring an older
   * state must not roll its history back.
   */
  preserveOnRestore(tables: readonly string[]): void {
    for (const t of tables) this.preserved.add(t)
  }

  /** Bring a copy of a database (a backup being restored) to this code's schema. */
  migrateCopy(copy: Database.Database): void {
    for (const [engine, migrations] of this.registered) migrate(copy, engine, migrations)
  }

  /**
   * Replace the content of every table, except the preserved ones, with that of `file` (already at
   * this schema), in one synchronous transaction: no other write can interleave, and a failure
   * leaves the previous state untouched.
   */
  replaceContentFrom(file: string): void {
    const db = this._db
    db.prepare('ATTACH DATABASE ? AS restore').run(file)
    try {
      const tables = copyableTables(db, 'main').filter((t) => !this.preserved.has(t))
      const incoming = new Set(copyableTables(db, 'restore'))
      db.transaction(() => {
        db.pragma('defer_foreign_keys = ON')
        for (const table of tables) {
          db.exec(`DELETE FROM main."${table}"`)
          if (!incoming.has(table)) continue
          const columns = (db.prepare(`SELECT name FROM pragma_table_info(?, 'main')`).pluck().all(table) as string[]).map((c) => `"${c}"`).join(', ')
          db.exec(`INSERT INTO main."${table}" (${columns}) SELECT ${columns} FROM restore."${table}"`)
        }
      })()
    } finally {
      db.exec('DETACH DATABASE restore')
    }
  }

  /** Schema version per engine this code knows: what a backup may be at most. */
  knownSchema(): Record<string, number> {
    return Object.fromEntries([...this.registered].map(([engine, m]) => [engine, m.length]))
  }

  schema(): Record<string, number> {
    return schemaVersions(this._db)
  }

  close(): void {
    if (this._db.open) this._db.close()
  }
}

export const STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'settings',
    up: `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL) STRICT`,
  },
]

/** Ordinary tables of a schema: not SQLite's own, not migration bookkeeping, not virtual tables or their shadows. */
function copyableTables(db: Database.Database, schema: 'main' | 'restore'): string[] {
  const rows = db.prepare(`SELECT name, sql FROM ${schema}.sqlite_master WHERE type = 'table'`).all() as { name: string; sql: string }[]
  const virtual = rows.filter((r) => /^CREATE VIRTUAL TABLE/i.test(r.sql)).map((r) => r.name)
  return rows
    .map((r) => r.name)
    .filter((n) => !n.startsWith('sqlite_') && n !== 'schema_migrations' && n !== 'backup_meta')
    .filter((n) => !virtual.some((v) => n === v || n.startsWith(`${v}_`)))
}

/**
 * The audit log never shrinks: a database whose log is shorter than the high-water mark kept beside it
 * was replaced by an older copy, emptied or deleted, and must not be taken as the installation's state.
 */
function checkHistoryNotRolledBack(size: number, home: string): void {
  const mark = readHistoryMark(home)
  if (mark && size < mark.size) {
    throw new Error(
      `its audit log has ${size} entries, but this installation's had ${mark.size} (high-water mark in ${historyMarkFile(home)}, ${mark.updatedAt}): ` +
        'the database was replaced by an older copy, emptied or deleted, and history must not roll back',
    )
  }
}

/** Entries in the audit log of a database (0 when it has none yet): the next sequence number. */
export function auditLogSize(db: Database.Database, schema = 'main'): number {
  const hasLog = db.prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE type = 'table' AND name = 'audit_entries'`).get()
  if (!hasLog) return 0
  return ((db.prepare(`SELECT MAX(seq) FROM ${schema}.audit_entries`).pluck().get() as number | null) ?? -1) + 1
}

/** Owner-only permissions on a database file and its companions, whoever created them. */
export function keepPrivate(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    try {
      chmodSync(file + suffix, 0o600)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
}

export function checkIntegrity(db: Database.Database, kind: 'quick_check' | 'integrity_check'): void {
  const rows = db.pragma(kind) as Record<string, string>[]
  const messages = rows.map((r) => Object.values(r)[0]).filter((m) => m !== 'ok')
  if (messages.length > 0) throw new Error(`integrity check failed: ${messages.slice(0, 3).join('; ')}`)
}

/** Backups named with a sortable time stamp; the newest by modification time. */
export function newestBackupIn(dir: string): string | null {
  if (!existsSync(dir)) return null
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.db'))
    .map((f) => ({ f: join(dir, f), t: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t)
  return files[0]?.f ?? null
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  if (/file is not a database|SQLITE_NOTADB/i.test(message)) return 'the file is not a SQLite database (damaged or overwritten)'
  if (/malformed|SQLITE_CORRUPT/i.test(message)) return `the database is damaged (${message})`
  return message
}
