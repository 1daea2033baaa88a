/**
 * Everything a module can make the host allocate is bounded before it runs — the file's size,
 * functions, tables (count, and elements at start and after table.grow), memories, globals, element
 * segments — and the pool bounds instances, their engine heap and its threads for all tenants
 * together. Each limit is hit by a tiny module and refused with a message naming the limit and the
 * value; a module just under it runs; and the pool serves a normal call after every refusal.
 */
import wabtInit from 'wabt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WasmPool } from './index'
import { WasmError } from './errors'
import { leb } from './binary'

let wabt: Awaited<ReturnType<typeof wabtInit>>
const wat = (source: string) => {
  const module = wabt.parseWat('test.wat', source, { bulk_memory: true, reference_types: true })
  try {
    return new Uint8Array(module.toBinary({}).buffer)
  } finally {
    module.destroy()
  }
}

// Hand-built binaries, for modules whose sections declare more than their bytes hold (a section that
// claims a million entries in a few bytes), or too many entries to write as text.
const section = (id: number, ...parts: (number[] | Uint8Array)[]): Uint8Array => {
  const body = Buffer.concat(parts.map((p) => Uint8Array.from(p)))
  return Buffer.concat([Uint8Array.from([id, ...leb(body.length)]), body])
}
const binary = (...sections: Uint8Array[]) => new Uint8Array(Buffer.concat([Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]), ...sections]))
const repeat = (count: number, entry: number[]) => {
  const out = new Uint8Array(count * entry.length)
  for (let i = 0; i < count; i++) out.set(entry, i * entry.length)
  return out
}
const TYPE_VOID = section(1, [1, 0x60, 0, 0]) // one type: () -> ()
/** `count` empty functions (with their bodies). */
const functions = (count: number) => [TYPE_VOID, section(3, leb(count), repeat(count, [0])), section(10, leb(count), repeat(count, [2, 0, 0x0b]))]

/** 100 tables of 1,000,000 elements in about 500 bytes: 800 MB of engine heap per instance, unchecked. */
const TABLE_BOMB = () => wat(`(module ${'(table 1000000 funcref) '.repeat(100)}(func (export "f")))`)
/** Generous: a worker's first start (from TypeScript sources, on a busy machine) can take seconds. */
const SLOW = 60_000
const DEEP = '(func $deep (export "deep") (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 1)))'

let pool: WasmPool
beforeAll(async () => {
  wabt = await wabtInit()
  pool = new WasmPool({ maxWorkersPerTenant: 1 })
})
afterAll(() => pool.close())

async function refused(module: Uint8Array, message: RegExp, target = pool): Promise<WasmError> {
  const err = await target.execute({ module: { bytes: module }, invoke: 'f', tenant: 'hostile', timeoutMs: SLOW }).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, `expected the refusal ${message}`).toBeInstanceOf(WasmError)
  expect((err as WasmError).message).toMatch(message)
  await stillServes(target)
  return err as WasmError
}

async function stillServes(target = pool): Promise<void> {
  expect((await target.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [40, 2], tenant: 'calm', timeoutMs: SLOW })).values).toEqual([42])
}

async function accepted(module: Uint8Array, target = pool): Promise<void> {
  await expect(target.execute({ module: { bytes: module }, invoke: 'f', tenant: 'honest', timeoutMs: SLOW })).resolves.toMatchObject({ mode: 'call' })
}

describe('a module is refused before it runs when it declares', () => {
  it('more bytes than the module size limit (checked before parsing)', async () => {
    const small = new WasmPool({ moduleLimits: { maxModuleBytes: 1024 } })
    try {
      // A valid module padded with a custom section to exactly `size` bytes.
      const filler = (size: number) => {
        const body = [TYPE_VOID, section(3, [1, 0]), section(7, [1, 1, 0x66, 0, 0]), section(10, [1, 2, 0, 0x0b])]
        const padding = size - binary(...body).length - 3 - 5 // the custom section's id and 2-byte size, its name
        const padded = binary(section(0, [4, ...new TextEncoder().encode('pad!')], new Uint8Array(padding)), ...body)
        expect(padded.length).toBe(size)
        return padded
      }
      const err = await refused(filler(1025), /^the module is 1,025 bytes; the limit is 1,024 bytes$/, small)
      expect(err.kind).toBe('limit')
      // Not even the header is read: bytes that are not WebAssembly get the same answer.
      await refused(new Uint8Array(4096), /the module is 4,096 bytes; the limit is 1,024 bytes/, small)
      await accepted(filler(1024), small)
    } finally {
      await small.close()
    }
  })

  it('a hundred tables of a million elements (the table bomb), or one table over the limit', async () => {
    const bomb = TABLE_BOMB()
    expect(bomb.length).toBeLessThan(1000)
    const before = process.memoryUsage().rss
    for (let i = 0; i < 3; i++) await refused(bomb, /^table 1 declares 1,000,000 elements, which brings the module's tables to 2,000,000; the limit is 1,000,000 per module$/)
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024)
    await refused(wat('(module (table 1000001 funcref) (func (export "f")))'), /^table 0 declares 1,000,001 elements; the limit is 1,000,000 per module$/)
    await accepted(wat('(module (table 500000 funcref) (table 500000 externref) (func (export "f")))'))
  })

  it('more tables than the limit, even empty ones', async () => {
    await refused(wat(`(module ${'(table 0 funcref) '.repeat(101)}(func (export "f")))`), /^the module declares 101 tables; the limit is 100 per module$/)
    // The count is checked before the entries are read: a section that only claims them is enough.
    await refused(binary(section(4, leb(4_000_000_000))), /^the module declares 4,000,000,000 tables; the limit is 100 per module$/)
    await accepted(wat(`(module ${'(table 1 funcref) '.repeat(100)}(func (export "f")))`))
  })

  it('more globals than the limit', async () => {
    await refused(binary(section(6, leb(100_001))), /^the module declares 100,001 globals; the limit is 100,000 per module$/)
    const globals = section(6, leb(100_000), repeat(100_000, [0x7f, 0x00, 0x41, 0x00, 0x0b])) // immutable i32 = 0
    await accepted(binary(TYPE_VOID, section(3, [1, 0]), globals, section(7, [1, 1, 0x66, 0, 0]), section(10, [1, 2, 0, 0x0b])))
  })

  it('more functions than the limit', async () => {
    await refused(binary(TYPE_VOID, section(3, leb(250_001))), /^the module declares 250,001 functions; the limit is 250,000 per module$/)
    const [types, funcs, code] = functions(250_000)
    await accepted(binary(types, funcs, section(7, [1, 1, 0x66, 0, 0]), code))
  })

  it('more element-segment elements than the limit', async () => {
    const passive = (count: number, body = new Uint8Array()) => section(9, [1, 0x01, 0x00, ...leb(count)], body) // one passive segment of funcref indices
    await refused(binary(TYPE_VOID, section(3, [1, 0]), passive(1_000_001)), /^element segment 0 declares 1,000,001 elements, which brings the module's element segments to 1,000,001; the limit is 1,000,000 per module$/)
    await accepted(binary(TYPE_VOID, section(3, [1, 0]), section(7, [1, 1, 0x66, 0, 0]), passive(1_000_000, repeat(1_000_000, [0])), section(10, [1, 2, 0, 0x0b])))
  })

  it('more than one memory', async () => {
    await refused(wat('(module (memory 1) (memory 1) (func (export "f")))'), /^the module declares 2 memories; the limit is 1 per module$/)
  })
})

describe('at run time', () => {
  it('table.grow stops at the module budget, whatever maximum the module declared (or none)', async () => {
    const growable = wat('(module (table $t 10 funcref) (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0))))')
    const grow = async (by: number) => (await pool.execute({ module: { bytes: growable }, invoke: 'grow', args: [by], tenant: 'grower', fresh: true, timeoutMs: SLOW })).values
    expect(await grow(1_000_000 - 10 + 1)).toEqual([-1])
    expect(await grow(1_000_000 - 10)).toEqual([10])
    const declared = wat('(module (table $t 10 10000000 funcref) (table $u 0 externref) (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0))))')
    expect((await pool.execute({ module: { bytes: declared }, invoke: 'grow', args: [600_000], tenant: 'grower', timeoutMs: SLOW })).values).toEqual([-1])
    await stillServes()
  })

  it('deep recursion is a stack overflow, not a memory limit', async () => {
    const err = await pool.execute({ module: { bytes: wat(`(module ${DEEP})`) }, invoke: 'deep', args: [1], tenant: 'recursive', timeoutMs: SLOW }).catch((e: WasmError) => e)
    expect(err).toMatchObject({ kind: 'stack', message: expect.stringMatching(/^stack overflow: .*Maximum call stack size exceeded/) })
    await stillServes()
    // Its memory near its cap does not make it a memory error either.
    const full = await pool.execute({ module: { bytes: wat(`(module (memory (export "memory") 16) ${DEEP})`) }, invoke: 'deep', args: [1], memoryMb: 1, tenant: 'recursive', timeoutMs: SLOW }).catch((e: WasmError) => e)
    expect(full).toMatchObject({ kind: 'stack', message: expect.stringMatching(/^stack overflow: /) })
    // Nor in a start function, which runs while the module is instantiated.
    const atStart = await pool.execute({ module: { bytes: wat(`(module ${DEEP} (func $boot (drop (call $deep (i32.const 0)))) (start $boot) (func (export "f")))`) }, invoke: 'f', tenant: 'recursive', timeoutMs: SLOW }).catch((e: WasmError) => e)
    expect(atStart).toMatchObject({ kind: 'stack', message: expect.stringMatching(/^stack overflow: /) })
    await stillServes()
  })
})

describe('for all tenants together, the pool bounds', () => {
  it('instances', async () => {
    const small = new WasmPool({ maxInstances: 3, maxWorkersPerTenant: 1 })
    try {
      for (const tenant of ['a', 'b', 'c']) await small.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [1, 1], tenant, timeoutMs: SLOW })
      await expect(small.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [1, 1], tenant: 'd', timeoutMs: SLOW })).rejects.toThrow(/^the pool holds 3 instances; the limit is 3 for all tenants together$/)
      await expect(small.prewarm({ builtin: 'trivial' }, { tenant: 'a', instances: 2 })).rejects.toThrow(/the limit is 3 for all tenants together/)
      expect((await small.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [2, 2], tenant: 'a', timeoutMs: SLOW })).values).toEqual([4])
    } finally {
      await small.close()
    }
  })

  it("what instances hold in the engine's heap (tables, globals, element segments), counted from what they declare", async () => {
    const small = new WasmPool({ heapBudgetMb: 12, maxWorkersPerTenant: 1 })
    try {
      const eightMb = (n: number) => wat(`(module (table ${n} funcref) (func (export "f")))`) // grows to 1,000,000 slots: 8 MB
      await accepted(eightMb(1), small)
      await expect(small.execute({ module: { bytes: eightMb(2) }, invoke: 'f', tenant: 'other', timeoutMs: SLOW })).rejects.toThrow(
        /^the pool's instances would hold 15.26 MiB of tables, globals and element segments; the limit is 12 MiB for all tenants together \(one instance of this module may take 7.63 MiB\)$/,
      )
      await accepted(wat('(module (table 1 1 funcref) (func (export "f")))'), small)
      await stillServes(small)
    } finally {
      await small.close()
    }
  })

  it("worker threads: a new tenant takes the idle workers of the least recently used one, or is refused when all are busy", async () => {
    const small = new WasmPool({ maxWorkers: 2, maxWorkersPerTenant: 1 })
    try {
      for (const tenant of ['a', 'b', 'c']) expect((await small.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [1, 2], tenant, timeoutMs: SLOW })).values).toEqual([3])
      expect(small.stats().workers).toBe(2)
      expect(small.stats().tenants.find((t) => t.name === 'a')!.workers).toBe(0)
      const spin = wat('(module (func (export "spin") (loop $l (br $l))))')
      const busy = [small.execute({ module: { bytes: spin }, invoke: 'spin', tenant: 'b', timeoutMs: 1500 }), small.execute({ module: { bytes: spin }, invoke: 'spin', tenant: 'c', timeoutMs: 1500 })]
      await expect(small.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [1, 2], tenant: 'd', timeoutMs: SLOW })).rejects.toThrow(/^the pool runs 2 worker threads, all busy; the limit is 2$/)
      await Promise.allSettled(busy)
      expect((await small.execute({ module: { builtin: 'trivial' }, invoke: 'add', args: [1, 2], tenant: 'd', timeoutMs: SLOW })).values).toEqual([3])
    } finally {
      await small.close()
    }
  })
})
