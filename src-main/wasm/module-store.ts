/**
 * Uploaded modules kept in the data folder, so what was deployed from them still starts after a
 * restart: each file is named by the SHA-256 of its bytes (<dir>/<sha256>.wasm, 0600 in a 0700
 * folder), written whole under a temporary name and renamed, and checked against its name when read
 * back. A table (`wasm_modules`) says what was uploaded, under which name, when; it is the index
 * the total-size cap counts.
 */
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import type { Migration, Store } from '../store'
import { WasmError } from './errors'

export const WASM_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'uploaded modules',
    up: `CREATE TABLE wasm_modules (
      sha256 TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      size_bytes INTEGER NOT NULL,
      uploaded_at TEXT NOT NULL
    ) STRICT`,
  },
]

/** All stored modules together, by default. */
export const DEFAULT_STORED_MODULES_BYTES = 1024 * 1024 * 1024

export interface StoredModule {
  sha256: string
  name: string
  sizeBytes: number
  uploadedAt: string
}

export interface ModuleStoreOptions {
  store: Store
  /** The folder of the module files (the host uses <data folder>/wasm/modules). */
  dir: string
  /** What all stored modules may take together (default 1 GiB). */
  maxBytes?: number
}

const SHA256 = /^[0-9a-f]{64}$/

export class ModuleStore {
  readonly dir: string
  readonly maxBytes: number
  private readonly db: Database.Database

  constructor(options: ModuleStoreOptions) {
    options.store.migrate('wasm', WASM_MIGRATIONS)
    this.db = options.store.db
    this.dir = options.dir
    this.maxBytes = options.maxBytes ?? DEFAULT_STORED_MODULES_BYTES
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    // mkdir leaves an existing folder's mode alone; the modules are the operator's code.
    chmodSync(this.dir, 0o700)
    this.forgetMissingFiles()
  }

  has(sha256: string): boolean {
    return this.row(sha256) !== undefined
  }

  list(): StoredModule[] {
    return (this.db.prepare('SELECT sha256, name, size_bytes, uploaded_at FROM wasm_modules ORDER BY uploaded_at').all() as Row[]).map(view)
  }

  totalBytes(): number {
    return (this.db.prepare('SELECT COALESCE(SUM(size_bytes), 0) FROM wasm_modules').pluck().get() as number) ?? 0
  }

  /** Refuse, before anything is compiled, a new module that would take the stored modules past the cap. */
  checkRoom(sha256: string, sizeBytes: number): void {
    if (this.has(sha256)) return
    const total = this.totalBytes()
    if (total + sizeBytes > this.maxBytes) {
      throw new WasmError(
        'limit',
        `the uploaded modules kept in ${this.dir} take ${mib(total)} MiB; this one (${mib(sizeBytes)} MiB) would pass the limit of ${mib(this.maxBytes)} MiB ` +
          '(DWCP_WASM_MODULES_MB raises it; deleting files there while the console is stopped frees room)',
      )
    }
  }

  /** Keep an uploaded module (bytes already hashed to `sha256`); nothing is written when it is kept, intact, already. */
  keep(bytes: Uint8Array, sha256: string, name: string): StoredModule {
    const known = this.row(sha256)
    // Uploading again is how an operator repairs a file changed on disk.
    if (known && this.intact(sha256, bytes.length)) return view(known)
    this.checkRoom(sha256, known ? 0 : bytes.length)
    this.writeWhole(sha256, bytes)
    const row: Row = { sha256, name: name.slice(0, 255), size_bytes: bytes.length, uploaded_at: known?.uploaded_at ?? new Date().toISOString() }
    this.db.prepare('INSERT INTO wasm_modules (sha256, name, size_bytes, uploaded_at) VALUES (@sha256, @name, @size_bytes, @uploaded_at) ON CONFLICT (sha256) DO NOTHING').run(row)
    return view(row)
  }

  /**
   * A stored module's bytes, checked against its name; undefined when none was uploaded with that
   * hash. `maxBytes` bounds what is read (a file grown on disk is refused before it is loaded).
   */
  read(sha256: string, maxBytes: number): { bytes: Uint8Array; name: string } | undefined {
    sha256 = sha256.toLowerCase()
    if (!SHA256.test(sha256)) return undefined
    const row = this.row(sha256)
    if (!row) return undefined
    const file = this.file(sha256)
    let size: number
    try {
      size = statSync(file).size
    } catch {
      this.forget(sha256)
      throw new WasmError('not_found', `the module ${sha256.slice(0, 16)}… (${row.name}) was uploaded on ${row.uploaded_at}, but its file ${file} is gone: upload it again`)
    }
    if (size !== row.size_bytes || size > maxBytes) throw changedOnDisk(file, `it holds ${size} bytes, not the ${row.size_bytes} uploaded`)
    const bytes = new Uint8Array(readFileSync(file))
    const actual = createHash('sha256').update(bytes).digest('hex')
    if (actual !== sha256) throw changedOnDisk(file, `the SHA-256 of its content is ${actual.slice(0, 16)}…`)
    return { bytes, name: row.name }
  }

  /** A file deleted by hand (there is no call to remove a module) frees its room under the cap. */
  private forgetMissingFiles(): void {
    for (const sha256 of this.db.prepare('SELECT sha256 FROM wasm_modules').pluck().all() as string[]) {
      if (!existsSync(this.file(sha256))) this.forget(sha256)
    }
  }

  private forget(sha256: string): void {
    this.db.prepare('DELETE FROM wasm_modules WHERE sha256 = ?').run(sha256)
  }

  private intact(sha256: string, size: number): boolean {
    try {
      return statSync(this.file(sha256)).size === size && createHash('sha256').update(readFileSync(this.file(sha256))).digest('hex') === sha256
    } catch {
      return false
    }
  }

  private file(sha256: string): string {
    return join(this.dir, `${sha256}.wasm`)
  }

  private row(sha256: string): Row | undefined {
    return this.db.prepare('SELECT sha256, name, size_bytes, uploaded_at FROM wasm_modules WHERE sha256 = ?').get(sha256.toLowerCase()) as Row | undefined
  }

  /** A crash leaves either no file or the whole file under its name, never a part of it. */
  private writeWhole(sha256: string, bytes: Uint8Array): void {
    const temp = join(this.dir, `.${sha256}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
    try {
      const fd = openSync(temp, 'wx', 0o600)
      try {
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(temp, this.file(sha256))
    } catch (err) {
      rmSync(temp, { force: true })
      throw new WasmError('unavailable', `could not keep the module in ${this.dir}: ${(err as Error).message}`)
    }
  }
}

interface Row {
  sha256: string
  name: string
  size_bytes: number
  uploaded_at: string
}

function view(row: Row): StoredModule {
  return { sha256: row.sha256, name: row.name, sizeBytes: row.size_bytes, uploadedAt: row.uploaded_at }
}

function changedOnDisk(file: string, why: string): WasmError {
  return new WasmError('bad_module', `the stored module ${file} was changed on disk (${why}), so it is refused: upload the module again`)
}

function mib(bytes: number): string {
  return (Math.round((bytes / 1048576) * 10) / 10).toLocaleString('en-US')
}
