import type Database from 'better-sqlite3'

/** One forward-only schema step of an engine. Versions start at 1 and have no gaps. */
export interface Migration {
  version: number
  name: string
  up: string | ((db: Database.Database) => void)
}

export class SchemaTooNewError extends Error {
  constructor(readonly engine: string, readonly found: number, readonly known: number) {
    super(
      `the ${engine} tables are at schema version ${found}, but this DWCP Console only knows up to ${known}: ` +
        `the data folder was written by a newer version. Upgrade, or restore a backup made by this version.`,
    )
    this.name = 'SchemaTooNewError'
  }
}

export function ensureMigrationTable(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    engine TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (engine, version)
  ) STRICT`)
}

export function schemaVersions(db: Database.Database): Record<string, number> {
  const rows = db.prepare('SELECT engine, MAX(version) AS version FROM schema_migrations GROUP BY engine').all() as {
    engine: string
    version: number
  }[]
  return Object.fromEntries(rows.map((r) => [r.engine, r.version]))
}

/**
 * Apply the engine's migrations that the database has not seen, each in its own transaction, so a
 * crash between two steps leaves a database at a known version. Engines own their tables; the
 * store owns only the bookkeeping.
 */
export function migrate(db: Database.Database, engine: string, migrations: readonly Migration[]): number {
  checkSequence(engine, migrations)
  ensureMigrationTable(db)
  const current = schemaVersions(db)[engine] ?? 0
  const known = migrations.length
  if (current > known) throw new SchemaTooNewError(engine, current, known)
  const record = db.prepare('INSERT INTO schema_migrations (engine, version, name, applied_at) VALUES (?, ?, ?, ?)')
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up)
      else m.up(db)
      record.run(engine, m.version, m.name, new Date().toISOString())
    })()
  }
  return known
}

function checkSequence(engine: string, migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${engine} migration #${i} has version ${m.version}; expected ${i + 1}`)
  })
}
