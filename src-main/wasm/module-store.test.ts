/**
 * Uploaded modules kept in the data folder: a real SQLite store, real files, real WebAssembly. What
 * a pool was sent by value, a new pool on the same data folder runs (and hands out) by hash.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import wabtInit from 'wabt'
import { afterEach, describe, expect, it } from 'vitest'
import { Store } from '../store'
import { tempHome } from '../testing/home'
import { ModuleStore, WasmPool } from './index'

const wabt = await wabtInit()
const wat = (source: string) => {
  const module = wabt.parseWat('test.wat', source, {})
  try {
    return new Uint8Array(module.toBinary({}).buffer)
  } finally {
    module.destroy()
  }
}
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

const open: { pool: WasmPool; store: Store }[] = []
afterEach(async () => {
  for (const { pool, store } of open.splice(0)) {
    await pool.close()
    store.close()
  }
})

/** What the console builds on its data folder (host.ts), as a restart builds it again. */
function consoleOn(home: string, maxBytes?: number) {
  const store = Store.open({ home })
  const modules = new ModuleStore({ store, dir: join(home, 'wasm', 'modules'), ...(maxBytes ? { maxBytes } : {}) })
  const pool = new WasmPool({ scratchDir: join(home, 'wasm', 'scratch'), moduleStore: modules, defaultTimeoutMs: 60_000 })
  open.push({ pool, store })
  return { pool, modules, store }
}

async function restart(console: { pool: WasmPool; store: Store }) {
  const at = open.findIndex((o) => o.pool === console.pool)
  open.splice(at, 1)
  await console.pool.close()
  console.store.close()
}

const ADD = wat('(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))')
const MUL = wat('(module (func (export "mul") (param i32 i32) (result i32) (i32.mul (local.get 0) (local.get 1))))')

describe('uploaded modules kept in the data folder', () => {
  it('run by hash and are handed out by hash after a restart, without being sent again', async () => {
    const home = tempHome('dwcp-modules-')
    const first = consoleOn(home)
    expect((await first.pool.execute({ module: { bytes: ADD, name: 'add.wasm' }, invoke: 'add', args: [2, 3] })).values).toEqual([5])
    await restart(first)

    const second = consoleOn(home)
    expect(second.pool.cache.list()).toHaveLength(0)
    expect(Buffer.from(second.pool.moduleBytes(sha(ADD))!)).toEqual(Buffer.from(ADD))
    const byHash = await second.pool.execute({ module: { sha256: sha(ADD) }, invoke: 'add', args: [40, 2] })
    expect(byHash).toMatchObject({ values: [42], module: { sha256: sha(ADD), name: 'add.wasm' } })
    expect(second.modules.list()).toEqual([{ sha256: sha(ADD), name: 'add.wasm', sizeBytes: ADD.length, uploadedAt: expect.any(String) }])

    // Named by content, readable by the owner only, and nothing half-written left beside it.
    const dir = join(home, 'wasm', 'modules')
    expect(readdirSync(dir)).toEqual([`${sha(ADD)}.wasm`])
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(statSync(join(dir, `${sha(ADD)}.wasm`)).mode & 0o777).toBe(0o600)
  })

  it('a module never uploaded is not found, with a clear message', async () => {
    const { pool } = consoleOn(tempHome('dwcp-modules-'))
    expect(pool.moduleBytes(sha(MUL))).toBeUndefined()
    await expect(pool.execute({ module: { sha256: sha(MUL) }, invoke: 'mul', args: [2, 3] })).rejects.toThrow(/no module with SHA-256 [0-9a-f]{16}… in the cache or among the uploaded modules: send its bytes/)
  })

  it('refuses a stored file changed on disk, and uploading the module again repairs it', async () => {
    const home = tempHome('dwcp-modules-')
    const first = consoleOn(home)
    await first.pool.load({ bytes: ADD, name: 'add.wasm' })
    await restart(first)
    const file = join(home, 'wasm', 'modules', `${sha(ADD)}.wasm`)
    const edited = Buffer.from(readFileSync(file))
    edited[edited.length - 2] ^= 0x01
    writeFileSync(file, edited)

    const second = consoleOn(home)
    const changed = new RegExp(`the stored module ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was changed on disk \\(the SHA-256 of its content is [0-9a-f]{16}…\\), so it is refused: upload the module again`)
    expect(() => second.pool.moduleBytes(sha(ADD))).toThrow(changed)
    await expect(second.pool.execute({ module: { sha256: sha(ADD) }, invoke: 'add', args: [1, 1] })).rejects.toThrow(changed)
    writeFileSync(file, Buffer.concat([edited, Buffer.alloc(1000)]))
    expect(() => second.pool.moduleBytes(sha(ADD))).toThrow(/was changed on disk \(it holds \d+ bytes, not the \d+ uploaded\)/)

    await second.pool.execute({ module: { bytes: ADD, name: 'add.wasm' }, invoke: 'add', args: [1, 1] })
    await restart(second)
    const third = consoleOn(home)
    expect(Buffer.from(third.pool.moduleBytes(sha(ADD))!)).toEqual(Buffer.from(ADD))
  })

  it('refuses an upload past the cap on all stored modules, and keeps what it holds', async () => {
    const home = tempHome('dwcp-modules-')
    const { pool, modules } = consoleOn(home, ADD.length + 10)
    await pool.load({ bytes: ADD, name: 'add.wasm' })
    await expect(pool.execute({ module: { bytes: MUL, name: 'mul.wasm' }, invoke: 'mul', args: [6, 7] })).rejects.toThrow(/the uploaded modules kept in .* take 0 MiB; this one \(0 MiB\) would pass the limit of 0 MiB \(DWCP_WASM_MODULES_MB raises it/)
    // The same module again takes no more room.
    await pool.load({ bytes: ADD, name: 'add.wasm' }, 32)
    expect(modules.list().map((m) => m.name)).toEqual(['add.wasm'])
    expect(modules.totalBytes()).toBe(ADD.length)
  })

  it('forgets a file deleted by hand, which frees its room', async () => {
    const home = tempHome('dwcp-modules-')
    const first = consoleOn(home, ADD.length + 10)
    await first.pool.load({ bytes: ADD, name: 'add.wasm' })
    await restart(first)
    rmSync(join(home, 'wasm', 'modules', `${sha(ADD)}.wasm`))

    const second = consoleOn(home, ADD.length + 10)
    expect(second.modules.list()).toEqual([])
    expect(second.pool.moduleBytes(sha(ADD))).toBeUndefined()
    expect((await second.pool.execute({ module: { bytes: MUL, name: 'mul.wasm' }, invoke: 'mul', args: [6, 7] })).values).toEqual([42])
  })

  it('keeps nothing of bytes that are not a module it can run', async () => {
    const home = tempHome('dwcp-modules-')
    const { pool, modules } = consoleOn(home)
    await expect(pool.execute({ module: { bytes: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]), name: 'junk.wasm' } })).rejects.toThrow()
    const importsHost = wat('(module (import "env" "f" (func)) (func (export "g")))')
    await expect(pool.execute({ module: { bytes: importsHost, name: 'host.wasm' }, invoke: 'g' })).rejects.toThrow(/imports "env"."f"/)
    expect(modules.list()).toEqual([])
    expect(readdirSync(join(home, 'wasm', 'modules'))).toEqual([])
  })
})
