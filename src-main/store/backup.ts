import { createHash } from 'node:crypto'
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import { APPLICATION_ID, auditLogSize, checkIntegrity, DATABASE_FILE, openSqlite, Store } from './database'
import { lowerHistoryMark, readHistoryMark } from './history-mark'
import { schemaVersions } from './migrations'

export interface BackupInfo {
  file: string
  name: string
  createdAt: string
  sizeBytes: number
  sha256?: string
  schema: Record<string, number>
  reason?: string
}

export interface BackupVerdict {
  file: string
  ok: boolean
  problems: string[]
  sizeBytes: number
  schema: Record<string, number>
  sha256?: string
}

export interface RestoreResult {
  restoredFrom: string
  previousStateSavedTo: string | null
  schema: Record<string, number>
  /** Audit entries before and after a restore into a damaged folder, and how many came from the damaged file. */
  history?: { before: number | null; after: number; carriedOver: number; shortened: boolean }
}

export class BackupError extends Error {
  constructor(message: string, readonly kind: 'bad_request' | 'not_found' | 'conflict' = 'bad_request') {
    super(message)
    this.name = 'BackupError'
  }
}

const SIDECAR = '.sha256'

/** Resolve a backup name: bare names live in backups/; paths are allowed only where the caller permits them. */
export function resolveBackupPath(store: Store, file: string, allowPaths: boolean): string {
  if (!file.includes('/') && !file.includes('\\')) {
    if (file === '.' || file === '..') throw new BackupError(`not a backup name: ${file}`)
    return join(store.backupsDir, file.endsWith('.db') ? file : `${file}.db`)
  }
  if (!allowPaths) throw new BackupError('give a backup by its name (as `backup.list` shows it); paths are accepted only from the CLI')
  return isAbsolute(file) ? file : resolve(file)
}

function stamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-')
}

/**
 * Copy the live database with SQLite's online backup API (readers and writers keep working), then
 * record when and why inside the copy and seal it with a SHA-256 sidecar. The copy is written under a
 * temporary name and renamed, so a crash never leaves a half backup that looks whole.
 */
export async function createBackup(store: Store, options: { file?: string; reason?: string } = {}): Promise<BackupInfo> {
  const target = options.file ?? join(store.backupsDir, `dwcp-${stamp()}.db`)
  if (existsSync(target)) throw new BackupError(`${target} exists already; choose another name`, 'conflict')
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 })
  const partial = `${target}.partial`
  rmSync(partial, { force: true })
  // Created owner-only before SQLite writes into it: a backup holds the whole state.
  writeFileSync(partial, '', { mode: 0o600 })
  const createdAt = new Date().toISOString()
  try {
    await store.db.backup(partial)
    const copy = openSqlite(partial)
    try {
      copy.pragma('journal_mode = DELETE')
      copy.exec(`CREATE TABLE IF NOT EXISTS backup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT`)
      const put = copy.prepare('INSERT OR REPLACE INTO backup_meta (key, value) VALUES (?, ?)')
      put.run('created_at', createdAt)
      put.run('source', store.file)
      put.run('reason', options.reason ?? 'manual')
    } finally {
      copy.close()
    }
    renameSync(partial, target)
  } catch (err) {
    rmSync(partial, { force: true })
    throw err
  }
  const sha256 = await hashFile(target)
  writeFileSync(target + SIDECAR, `${sha256}  ${basename(target)}\n`, { mode: 0o600 })
  return describeBackup(target, sha256)
}

/** Every backup in the data folder's backups/, newest first. Read from the files, so a restore never hides one. */
export function listBackups(store: Store): BackupInfo[] {
  if (!existsSync(store.backupsDir)) return []
  const infos: BackupInfo[] = []
  for (const name of readdirSync(store.backupsDir)) {
    if (!name.endsWith('.db')) continue
    try {
      infos.push(describeBackup(join(store.backupsDir, name), readSidecar(join(store.backupsDir, name))))
    } catch {
      // An unreadable file is still listed, so the user sees it and can verify it for details.
      const st = statSync(join(store.backupsDir, name))
      infos.push({ file: join(store.backupsDir, name), name, createdAt: st.mtime.toISOString(), sizeBytes: st.size, schema: {}, reason: 'unreadable' })
    }
  }
  return infos.sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}

function describeBackup(file: string, sha256?: string): BackupInfo {
  const db = openSqlite(file, { readonly: true, fileMustExist: true })
  try {
    const meta = readMeta(db)
    return {
      file,
      name: basename(file),
      createdAt: meta.created_at ?? statSync(file).mtime.toISOString(),
      sizeBytes: statSync(file).size,
      ...(sha256 ? { sha256 } : {}),
      schema: schemaVersions(db),
      ...(meta.reason ? { reason: meta.reason } : {}),
    }
  } finally {
    db.close()
  }
}

function readMeta(db: ReturnType<typeof openSqlite>): Record<string, string> {
  const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'backup_meta'`).get()
  if (!has) return {}
  const rows = db.prepare('SELECT key, value FROM backup_meta').all() as { key: string; value: string }[]
  return Object.fromEntries(rows.map((r) => [r.key, r.value]))
}

/**
 * A backup is restorable when: the file exists and matches its SHA-256 sidecar (if it has one), SQLite's
 * full integrity check passes, it carries the DWCP application id, and no engine's schema is newer than
 * this version knows.
 */
export async function verifyBackup(file: string, known: Record<string, number>): Promise<BackupVerdict> {
  const problems: string[] = []
  if (!existsSync(file)) throw new BackupError(`no backup at ${file}`, 'not_found')
  const sizeBytes = statSync(file).size
  let schema: Record<string, number> = {}
  const sha256 = await hashFile(file)
  const expected = readSidecar(file)
  if (expected && expected !== sha256) problems.push(`its SHA-256 is ${sha256.slice(0, 16)}…, but the sidecar recorded ${expected.slice(0, 16)}…: the file changed after it was made`)
  try {
    const db = openSqlite(file, { readonly: true, fileMustExist: true })
    try {
      checkIntegrity(db, 'integrity_check')
      const appId = db.pragma('application_id', { simple: true }) as number
      if (appId !== APPLICATION_ID) problems.push(`it is not a DWCP database (application_id ${appId})`)
      else {
        schema = schemaVersions(db)
        for (const [engine, version] of Object.entries(schema)) {
          const k = known[engine]
          if (k !== undefined && version > k) problems.push(`its ${engine} schema is version ${version}, newer than this version knows (${k})`)
        }
      }
    } finally {
      db.close()
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    problems.push(/not a database/i.test(message) ? 'it is not a SQLite database' : message)
  }
  return { file, ok: problems.length === 0, problems, sizeBytes, schema, sha256 }
}

/**
 * Replace the live state with a backup. The backup is verified first; the current state is itself
 * backed up before anything changes; the backup is copied to a scratch file and brought to this
 * version's schema; then every table's content is swapped in one transaction on the live connection
 * (see Store.replaceContentFrom), so nothing can interleave and a failure changes nothing. Tables an
 * engine preserves (the append-only audit log) keep their current content.
 */
/** SQLite's online backup of `file` into a new private file `scratch`, where a restore prepares the state. */
async function copyInto(file: string, scratch: string): Promise<void> {
  writeFileSync(scratch, '', { mode: 0o600 })
  const source = openSqlite(file, { readonly: true, fileMustExist: true })
  try {
    await source.backup(scratch)
  } finally {
    source.close()
  }
}

export async function restoreBackup(store: Store, file: string): Promise<RestoreResult> {
  const verdict = await verifyBackup(file, store.knownSchema())
  if (!verdict.ok) throw new BackupError(`refusing to restore ${file}: ${verdict.problems.join('; ')}`)
  const previous = await createBackup(store, {
    file: join(store.backupsDir, `pre-restore-${stamp()}.db`),
    reason: `state before restoring ${basename(file)}`,
  })
  const scratch = join(store.home, `.restoring-${stamp()}.db`)
  try {
    await copyInto(file, scratch)
    const copy = openSqlite(scratch)
    try {
      store.migrateCopy(copy)
    } finally {
      copy.close()
    }
    store.replaceContentFrom(scratch)
  } finally {
    for (const suffix of ['', '-wal', '-shm']) rmSync(scratch + suffix, { force: true })
  }
  return { restoredFrom: file, previousStateSavedTo: previous.file, schema: store.schema() }
}

/**
 * Restore into a data folder whose database cannot be opened at all (damaged, emptied, replaced by an
 * older copy): the damaged files are moved aside (never deleted) and the backup takes their place.
 *
 * History is never rolled back silently. Audit entries the damaged file still holds beyond the
 * backup's are carried over into the restored state. When the result would still be shorter than the
 * log this installation is known to have had (the high-water mark, or the damaged file itself), the
 * restore is refused unless `allowShorterHistory` is given; the caller records the restore itself.
 */
export async function restoreIntoDamagedHome(home: string, file: string, known: Record<string, number>, options: { allowShorterHistory?: boolean } = {}): Promise<RestoreResult> {
  const verdict = await verifyBackup(file, known)
  if (!verdict.ok) throw new BackupError(`refusing to restore ${file}: ${verdict.problems.join('; ')}`)
  const live = join(home, DATABASE_FILE)
  const scratch = join(home, `.restoring-${stamp()}.db`)
  try {
    await copyInto(file, scratch)
    const history = carryOverHistory(scratch, live)
    const mark = readHistoryMark(home)
    const before = Math.max(mark?.size ?? -1, history.damagedSize ?? -1)
    const shortened = history.after < before
    if (shortened && !options.allowShorterHistory) {
      const source = mark && mark.size >= (history.damagedSize ?? -1) ? `its high-water mark, ${mark.updatedAt}` : 'the damaged database'
      throw new BackupError(
        `refusing to restore ${file}: its audit log has ${history.after} entries, but this installation's had ${before} (${source}), so restoring it would roll history back. ` +
          'Restore a newer backup, or pass --allow-shorter-history to restore this one anyway (the restore and the entries it drops are recorded in the audit log).',
        'conflict',
      )
    }
    let moved: string | null = null
    if (existsSync(live)) {
      moved = `${live}.damaged-${stamp()}`
      renameSync(live, moved)
      for (const suffix of ['-wal', '-shm']) if (existsSync(live + suffix)) renameSync(live + suffix, moved + suffix)
    }
    renameSync(scratch, live)
    if (shortened) lowerHistoryMark(home, history.after, '', before)
    return {
      restoredFrom: file,
      previousStateSavedTo: moved,
      schema: verdict.schema,
      history: { before: before >= 0 ? before : null, after: history.after, carriedOver: history.carriedOver, shortened },
    }
  } finally {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(scratch + suffix, { force: true })
  }
}

/** The audit tables a restore into a damaged folder carries over; they are the audit engine's, named here because the store cannot ask it. */
const AUDIT_ENTRIES = 'seq, time, actor, action, target, intent_id, safety, outcome, details, leaf_hash'

/**
 * Append to the restored copy the audit entries that the damaged database still holds beyond the
 * backup's, when its log continues the backup's (the same leaf at the backup's last entry). All or
 * nothing, in one transaction; an unreadable damaged file carries nothing over.
 */
function carryOverHistory(copyFile: string, damagedFile: string): { after: number; carriedOver: number; damagedSize: number | null } {
  const copy = openSqlite(copyFile)
  try {
    const size = auditLogSize(copy)
    let damagedSize: number | null = null
    let carriedOver = 0
    if (existsSync(damagedFile) && statSync(damagedFile).size > 0) {
      try {
        copy.prepare('ATTACH DATABASE ? AS damaged').run(damagedFile)
        try {
          damagedSize = auditLogSize(copy, 'damaged')
          if (damagedSize > size && continuesLog(copy, size)) {
            copy.transaction(() => {
              copy.exec(`INSERT INTO main.audit_entries (${AUDIT_ENTRIES}) SELECT ${AUDIT_ENTRIES} FROM damaged.audit_entries WHERE seq >= ${size} ORDER BY seq`)
              copy.exec('INSERT OR REPLACE INTO main.audit_nodes (level, idx, hash) SELECT level, idx, hash FROM damaged.audit_nodes')
              copy.exec('INSERT OR IGNORE INTO main.audit_keys (fingerprint, origin, public_key, created_at) SELECT fingerprint, origin, public_key, created_at FROM damaged.audit_keys')
              copy.exec(
                'INSERT INTO main.audit_heads (id, size, root, key_fingerprint, note, made_at, reason) SELECT id, size, root, key_fingerprint, note, made_at, reason FROM damaged.audit_heads WHERE id > (SELECT COALESCE(MAX(id), 0) FROM main.audit_heads)',
              )
            })()
            carriedOver = damagedSize - size
          }
        } finally {
          copy.exec('DETACH DATABASE damaged')
        }
      } catch {
        // Too damaged to read: the high-water mark alone says how long the history was.
        carriedOver = 0
      }
    }
    // Back to a single file, so the copy can be renamed into place whole.
    copy.pragma('journal_mode = DELETE')
    return { after: size + carriedOver, carriedOver, damagedSize }
  } finally {
    copy.close()
  }
}

/** Whether the damaged log holds the backup's log as its beginning: the same leaf at the backup's last entry. */
function continuesLog(db: ReturnType<typeof openSqlite>, size: number): boolean {
  if (size === 0) return true
  const ours = db.prepare('SELECT leaf_hash FROM main.audit_entries WHERE seq = ?').pluck().get(size - 1) as Buffer | undefined
  const theirs = db.prepare('SELECT leaf_hash FROM damaged.audit_entries WHERE seq = ?').pluck().get(size - 1) as Buffer | undefined
  return Boolean(ours && theirs && ours.equals(theirs))
}

function readSidecar(file: string): string | undefined {
  const sidecar = file + SIDECAR
  if (!existsSync(sidecar)) return undefined
  return readFileSync(sidecar, 'utf8').trim().split(/\s+/)[0]
}

function hashFile(file: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256')
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')))
  })
}
