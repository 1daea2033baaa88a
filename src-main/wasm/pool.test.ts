import { mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import wabtInit from 'wabt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectRoot } from '../paths'
import { WasmPool, type ExecuteResult } from './index'

let wabt: Awaited<ReturnType<typeof wabtInit>>
const wat = (source: string) => {
  const module = wabt.parseWat('test.wat', source, { bulk_memory: true })
  try {
    return new Uint8Array(module.toBinary({}).buffer)
  } finally {
    module.destroy()
  }
}

/** A real-world WASI program from the npm registry: Yosys, 30 MB of WebAssembly. */
const yosys = new Uint8Array(readFileSync(join(projectRoot(), 'node_modules', '@yowasp', 'yosys', 'gen', 'yosys.core.wasm')))

const RUNAWAY = '(module (func (export "spin") (loop $l (br $l))))'
const MEMORY_BOMB = '(module (memory (export "memory") 1) (func (export "bomb") (loop $l (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable)) (br $l))))'

let pool: WasmPool
beforeAll(async () => {
  wabt = await wabtInit()
  // Calls without their own time limit get a generous one: a busy machine must not turn a slow start into
  // "time limit exceeded". The tests of time limits set theirs.
  pool = new WasmPool({ maxWorkersPerTenant: 2, defaultTimeoutMs: 60_000 })
})
afterAll(() => pool.close())

const text = (r: ExecuteResult) => new TextDecoder().decode(r.output)

describe('the WASM pool runs', () => {
  it('core functions with numbers, cold then warm from the cache', async () => {
    const first = await pool.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [40, 2], tenant: 'numbers' })
    expect(first).toMatchObject({ mode: 'call', values: [42], cold: true })
    const again = await pool.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [-5, 3], tenant: 'numbers' })
    expect(again).toMatchObject({ values: [-2], cold: false })
    expect(pool.cache.stats().hits).toBeGreaterThan(0)
  })

  it('the built-in byte workloads: hash, image transform, HTTP handler', async () => {
    const digest = await pool.execute({ module: { builtin: 'hash' }, input: new TextEncoder().encode('hello') })
    expect(Buffer.from(digest.output!).toString('hex')).toBe('a430d84680aabd0b') // FNV-1a 64 of "hello"

    const image = new Uint8Array(8 + 8)
    new DataView(image.buffer).setUint32(0, 2, true)
    new DataView(image.buffer).setUint32(4, 1, true)
    image.set([255, 0, 0, 255, 10, 20, 30, 40], 8)
    const gray = await pool.execute({ module: { builtin: 'transform' }, input: image })
    expect([...gray.output!.subarray(8)]).toEqual([76, 76, 76, 255, 18, 18, 18, 40])

    const response = await pool.execute({ module: { builtin: 'http' }, input: new TextEncoder().encode('GET /status HTTP/1.1\r\nhost: edge\r\n\r\n') })
    expect(text(response)).toBe('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 25\r\n\r\nhello from wasm: /status\n')
    const refused = await pool.execute({ module: { builtin: 'http' }, input: new TextEncoder().encode('DELETE / HTTP/1.1\r\n\r\n') })
    expect(text(refused)).toMatch(/^HTTP\/1.1 405/)
  })

  it('large byte inputs through the message path', async () => {
    const big = new Uint8Array(3 * 1024 * 1024).fill(7)
    const digest = await pool.execute({ module: { builtin: 'hash' }, input: big })
    expect(digest.output!.length).toBe(8)
  })

  it('a real WASI program from the wild (Yosys, 30 MB): arguments, stdout, exit code', async () => {
    const version = await pool.execute({ module: { bytes: yosys, name: 'yosys' }, wasi: { args: ['-V'] }, tenant: 'eda', timeoutMs: 60_000 })
    expect(version.exitCode).toBe(0)
    expect(version.stdout).toMatch(/^Yosys 0\.\d+/)

    const dir = mkdtempSync(join(tmpdir(), 'wasi-eda-'))
    writeFileSync(join(dir, 'top.v'), 'module top(input a, output b); assign b = ~a; endmodule\n')
    const synth = await pool.execute({
      module: { bytes: yosys, name: 'yosys' },
      wasi: { args: ['-p', 'read_verilog /src/top.v; proc; opt; stat'], preopens: { '/src': dir } },
      tenant: 'eda',
      timeoutMs: 60_000,
    })
    expect(synth.exitCode).toBe(0)
    expect(synth.stdout).toMatch(/Number of cells/)

    const missing = await pool.execute({ module: { bytes: yosys, name: 'yosys' }, wasi: { args: ['-q', '-p', 'read_verilog /src/none.v'], preopens: { '/src': dir } }, tenant: 'eda', timeoutMs: 60_000 })
    expect(missing.exitCode).not.toBe(0)
    expect(`${missing.stdout}${missing.stderr}`).toMatch(/not found/)
  }, 120_000)
})

describe('the WASM pool contains', () => {
  it('escapes from the preopened directory: ../, absolute paths and symlinks out all fail', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasi-jail-'))
    const secret = mkdtempSync(join(tmpdir(), 'wasi-secret-'))
    writeFileSync(join(secret, 'secret.v'), 'module secret(); endmodule\n')
    symlinkSync(join(secret, 'secret.v'), join(dir, 'link.v'))
    mkdirSync(join(dir, 'sub'))
    for (const path of ['/src/../' + secret.split('/').pop() + '/secret.v', '/src/sub/../../secret.v', `${secret}/secret.v`, '/src/link.v', '/etc/passwd']) {
      const r = await pool.execute({ module: { bytes: yosys, name: 'yosys' }, wasi: { args: ['-q', '-p', `read_verilog ${path}`], preopens: { '/src': dir } }, tenant: 'jail', timeoutMs: 60_000 })
      expect(r.exitCode, path).not.toBe(0)
      expect(`${r.stdout}${r.stderr}`, path).toMatch(/not found|No such file|cannot|denied|capab/i)
    }
  }, 120_000)

  it('tenants never share a preopened directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasi-owned-'))
    await pool.execute({ module: { bytes: yosys, name: 'yosys' }, wasi: { args: ['-V'], preopens: { '/data': dir } }, tenant: 'owner', timeoutMs: 60_000 })
    await expect(pool.execute({ module: { bytes: yosys, name: 'yosys' }, wasi: { args: ['-V'], preopens: { '/data': join(dir) } }, tenant: 'intruder', timeoutMs: 60_000 })).rejects.toThrow(/already preopened by tenant "owner"/)
  }, 120_000)

  it('a runaway loop is stopped at its time limit, and the pool keeps serving', async () => {
    const started = performance.now()
    await expect(pool.execute({ module: { bytes: wat(RUNAWAY) }, invoke: 'spin', timeoutMs: 200, tenant: 'loop' })).rejects.toThrow(/time limit exceeded \(200 ms\)/)
    const stoppedAfter = performance.now() - started
    expect(stoppedAfter).toBeGreaterThanOrEqual(200)
    // The tenant gets a new worker; other tenants never noticed.
    expect((await pool.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [1, 1], tenant: 'loop' })).values).toEqual([2])
  })

  it('a WASI program that floods stdout gets its first 16 MiB back and a note of the rest, not all of it', async () => {
    // 320 writes of a 64 KiB page of "y": 20 MiB on stdout.
    const flood = `(module
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 2)
      (func (export "_start") (local $i i32)
        (memory.fill (i32.const 65536) (i32.const 121) (i32.const 65536))
        (i32.store (i32.const 0) (i32.const 65536))
        (i32.store (i32.const 4) (i32.const 65536))
        (loop $l
          (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 320))))))`
    const r = await pool.execute({ module: { bytes: wat(flood) }, wasi: {}, tenant: 'flood' })
    expect(r.exitCode).toBe(0)
    expect(r.stdout!.startsWith('y'.repeat(1000))).toBe(true)
    expect(r.stdout).toContain(`\n[… ${20 * 1024 * 1024 - 16 * 1024 * 1024} more bytes not kept]`)
    expect(r.stdout!.length).toBeLessThan(16 * 1024 * 1024 + 100)
  })

  it('a memory bomb traps with "memory limit exceeded"', async () => {
    await expect(pool.execute({ module: { bytes: wat(MEMORY_BOMB) }, invoke: 'bomb', memoryMb: 16, tenant: 'bomb' })).rejects.toThrow(/memory limit exceeded \(16 MiB\)/)
    await expect(pool.execute({ module: { bytes: wat('(module (memory 512))') }, invoke: 'x', memoryMb: 16 })).rejects.toThrow(/needs 32 MiB at start; the limit is 16 MiB/)
  })

  it('a runaway loop and a memory bomb are contained while 100 other calls succeed', async () => {
    // Generous limits for the calm calls: their tenants' workers start cold, and a busy machine is slow.
    const others = Array.from({ length: 100 }, (_, i) => pool.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [i, 1], tenant: `calm-${i % 4}`, timeoutMs: 60_000 }))
    const hostile = Promise.allSettled([
      pool.execute({ module: { bytes: wat(RUNAWAY) }, invoke: 'spin', timeoutMs: 300, tenant: 'hostile' }),
      pool.execute({ module: { bytes: wat(MEMORY_BOMB) }, invoke: 'bomb', memoryMb: 8, tenant: 'hostile-2', timeoutMs: 60_000 }),
    ])
    const results = await Promise.all(others)
    expect(results.map((r) => r.values![0])).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    const settled = await hostile
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : 'ran'))).toEqual([
      'time limit exceeded (300 ms): the call was stopped',
      'memory limit exceeded (8 MiB)',
    ])
  })

  it('hostile modules get a clear error: bad bytes, huge tables, imports not offered, components', async () => {
    await expect(pool.execute({ module: { bytes: new TextEncoder().encode('MZ not wasm at all') }, invoke: 'x' })).rejects.toThrow(/not a WebAssembly binary/)
    const truncated = wat('(module (func (export "f") (result i32) (i32.const 1)))').subarray(0, 20)
    await expect(pool.execute({ module: { bytes: truncated }, invoke: 'f' })).rejects.toThrow(/not a valid WebAssembly module|ends in the middle/)
    await expect(pool.execute({ module: { bytes: wat('(module (table 5000000 funcref))') }, invoke: 'x' })).rejects.toThrow(/table 0 declares 5,000,000 elements; the limit is 1,000,000 per module/)
    await expect(pool.execute({ module: { bytes: wat('(module (import "env" "system" (func)))') }, invoke: 'x' })).rejects.toThrow(/imports "env"."system" \(function\), which the pool does not offer/)
    const component = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00])
    await expect(pool.execute({ module: { bytes: component }, invoke: 'x' })).rejects.toThrow(/component/)
    await expect(pool.execute({ module: { builtin: 'trivial' }, invoke: 'nope' })).rejects.toThrow(/exports no function "nope" \(it exports: add, noop\)/)
    await expect(pool.execute({ module: { builtin: 'trivial' }, invoke: 'add', tenant: '../etc' })).rejects.toThrow(/tenant names/)
    await expect(pool.execute({ module: { builtin: 'trivial' }, invoke: 'add', memoryMb: 1e9 })).rejects.toThrow(/memory limit must be/)
  })

  it('keeps each tenant in its own workers, and counts what it holds', async () => {
    await pool.prewarm({ builtin: 'trivial' }, { tenant: 'many', instances: 50 })
    const stats = pool.stats()
    const many = stats.tenants.find((t) => t.name === 'many')!
    expect(many.instances).toBe(50)
    expect(stats.activeInstances).toBeGreaterThanOrEqual(50)
    expect(stats.warmCalls).toBeGreaterThan(0)
    expect(stats.cache.hitRate).toBeGreaterThan(0)
  })
})

describe('WebAssembly components', () => {
  it('the built-in component (componentize-js → jco): transpiled once, kept by its hash, then called like any workload', async () => {
    const first = await pool.execute({ module: { builtin: 'greeter' }, invoke: 'greet', args: ['edge-001'], tenant: 'components', timeoutMs: 60_000 })
    expect(first).toMatchObject({ mode: 'call', values: ['hello, edge-001 (from a WebAssembly component)'], cold: true })
    expect((await pool.execute({ module: { builtin: 'greeter' }, invoke: 'add', args: [2, 40], tenant: 'components' })).values).toEqual([42])
    const words = await pool.execute({ module: { builtin: 'greeter' }, invoke: 'wordCount', input: new TextEncoder().encode('one two  three\nfour'), tenant: 'components' })
    expect(words).toMatchObject({ values: [4], cold: false })
    await expect(pool.execute({ module: { builtin: 'greeter' }, invoke: 'shout', args: ['x'], tenant: 'components' })).rejects.toThrow(/exports no function "shout" \(it exports: add, greet, wordCount\)/)

    // A second pool (the next start of the app) finds the transpiled component on disk.
    const componentsDir = (pool as unknown as { components: { root: string } }).components.root
    const manifest = join(componentsDir, first.module.sha256, 'component.json')
    const transpiledAt = statSync(manifest).mtimeMs
    const again = new WasmPool({ componentsDir })
    try {
      expect((await again.execute({ module: { builtin: 'greeter' }, args: ['again'], tenant: 'components' })).values).toEqual(['hello, again (from a WebAssembly component)'])
      expect(statSync(manifest).mtimeMs).toBe(transpiledAt)
    } finally {
      await again.close()
    }
  }, 120_000)
})
