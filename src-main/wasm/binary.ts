/**
 * Just enough of the WebAssembly binary format to judge a module before it runs and to bound what it
 * can allocate: the header, then every section that declares something the engine allocates at
 * compile or instantiation time (functions, tables, memories, globals, element segments), and a
 * rewrite of the memory and table maximums so that growing at run time stays within the limits.
 * Everything else is left to the engine's own validation (WebAssembly.compile).
 *
 * Parsing is bounded: each count is checked against its limit before anything is read for it, and
 * nothing is ever allocated from a declared size.
 */
import { WasmError } from './errors'

export const PAGE_BYTES = 65_536

/** What one module may declare. Data segments are not counted: they are bounded by the module's size and the memory cap. */
export interface ModuleLimits {
  /** The module file itself, checked before it is parsed. */
  maxModuleBytes: number
  maxFunctions: number
  maxTables: number
  /** Table elements of all tables together, at start and after any table.grow (8 bytes each in the engine). */
  maxTableElements: number
  maxMemories: number
  maxGlobals: number
  /** Elements of all element segments together (passive ones are kept as arrays by each instance). */
  maxElementSegmentElements: number
}

export const DEFAULT_MODULE_LIMITS: ModuleLimits = {
  maxModuleBytes: 64 * 1024 * 1024,
  maxFunctions: 250_000,
  maxTables: 100,
  maxTableElements: 1_000_000,
  maxMemories: 1,
  maxGlobals: 100_000,
  maxElementSegmentElements: 1_000_000,
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d]
const SECTION_IMPORT = 2
const SECTION_FUNCTION = 3
const SECTION_TABLE = 4
const SECTION_MEMORY = 5
const SECTION_GLOBAL = 6
const SECTION_ELEMENT = 9
const FUNCREF = 0x70
const EXTERNREF = 0x6f

export type BinaryKind = 'module' | 'component'

export interface Limits {
  min: number
  max?: number
}

/** Where a section lies: its id byte at `header`, its contents from `start` to `end`. */
interface SectionSpan {
  header: number
  start: number
  end: number
}

export interface ModuleLayout {
  memories: { limits: Limits; imported: boolean; shared: boolean; memory64: boolean }[]
  tables: (Limits & { imported: boolean; elementType: number })[]
  functions: number
  globals: number
  elementSegmentElements: number
  memorySection?: SectionSpan
  tableSection?: SectionSpan
}

/** Core module or component, from the header; anything else is refused with a clear message. */
export function binaryKind(bytes: Uint8Array): BinaryKind {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new WasmError('bad_module', 'not a WebAssembly binary (it does not start with \\0asm)')
  if (bytes[4] === 0x01 && bytes[5] === 0x00 && bytes[6] === 0x00 && bytes[7] === 0x00) return 'module'
  if (bytes[6] === 0x01 && bytes[7] === 0x00) return 'component'
  throw new WasmError('bad_module', `unknown WebAssembly binary version ${[...bytes.subarray(4, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`)
}

/** The module file's size, before anything reads it. */
export function checkModuleSize(bytes: Uint8Array, limits: ModuleLimits = DEFAULT_MODULE_LIMITS): void {
  if (bytes.length > limits.maxModuleBytes) {
    const inMib = limits.maxModuleBytes >= 1024 * 1024 ? ` (${mibOfBytes(limits.maxModuleBytes)} MiB)` : ''
    throw new WasmError('limit', `the module is ${n(bytes.length)} bytes; the limit is ${n(limits.maxModuleBytes)} bytes${inMib}`)
  }
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
    /** Reading past this is an error: the end of the current section. */
    public end = bytes.length,
  ) {}

  byte(): number {
    if (this.at >= this.end) throw new WasmError('bad_module', 'the module ends in the middle of a section')
    return this.bytes[this.at++]
  }

  u32(): number {
    let result = 0
    let shift = 0
    for (;;) {
      const b = this.byte()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
      shift += 7
      if (shift > 63) throw new WasmError('bad_module', 'a length in the module is malformed')
    }
  }

  /** A signed LEB128 (the value is not needed, only its end). */
  skipLeb(): void {
    for (let i = 0; i < 10; i++) if ((this.byte() & 0x80) === 0) return
    throw new WasmError('bad_module', 'a number in the module is malformed')
  }

  skip(count: number): void {
    if (this.at + count > this.end) throw new WasmError('bad_module', 'the module ends in the middle of a section')
    this.at += count
  }

  name(): void {
    this.skip(this.u32())
  }

  limits(): Limits & { flags: number } {
    const flags = this.byte()
    const min = this.u32()
    const max = flags & 0x01 ? this.u32() : undefined
    return { flags, min, ...(max !== undefined ? { max } : {}) }
  }

  tableType(imported: boolean): ModuleLayout['tables'][number] {
    const elementType = this.byte()
    if (elementType !== FUNCREF && elementType !== EXTERNREF) throw new WasmError('bad_module', `unsupported table element type 0x${elementType.toString(16)} (tables hold funcref or externref)`)
    const { flags, min, max } = this.limits()
    if (flags > 0x01) throw new WasmError('bad_module', `unsupported table limits (flags 0x${flags.toString(16)}): shared and 64-bit tables are not supported`)
    return { min, ...(max !== undefined ? { max } : {}), imported, elementType }
  }

  memoryType(imported: boolean): ModuleLayout['memories'][number] {
    const { flags, min, max } = this.limits()
    return { limits: { min, ...(max !== undefined ? { max } : {}) }, imported, shared: (flags & 0x02) !== 0, memory64: (flags & 0x04) !== 0 }
  }

  /** A constant expression (offsets, element initializers), up to and including its `end`. */
  skipConstExpr(): void {
    for (;;) {
      const op = this.byte()
      if (op === 0x0b) return
      if (op === 0x41 || op === 0x42) this.skipLeb() // i32.const, i64.const
      else if (op === 0x43) this.skip(4) // f32.const
      else if (op === 0x44) this.skip(8) // f64.const
      else if (op === 0x23 || op === 0xd2) this.u32() // global.get, ref.func
      else if (op === 0xd0) this.byte() // ref.null
      else if (!EXTENDED_CONST_OPS.has(op)) throw new WasmError('bad_module', `unsupported instruction 0x${op.toString(16)} in a constant expression`)
    }
  }
}

/** i32/i64 add, sub, mul: the extended-constant proposal, which V8 accepts in constant expressions. */
const EXTENDED_CONST_OPS = new Set([0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e])

/**
 * Read what the module declares, refusing as soon as a count is over its limit — before the rest of
 * a section is read, so a declared size never turns into work or memory here.
 */
export function readLayout(bytes: Uint8Array, limits: ModuleLimits = DEFAULT_MODULE_LIMITS): ModuleLayout {
  checkModuleSize(bytes, limits)
  const layout: ModuleLayout = { memories: [], tables: [], functions: 0, globals: 0, elementSegmentElements: 0 }
  const r = new Reader(bytes, 8)
  while (r.at < bytes.length) {
    r.end = bytes.length
    const header = r.at
    const id = r.byte()
    const size = r.u32()
    const start = r.at
    const end = start + size
    if (end > bytes.length) throw new WasmError('bad_module', `section ${id} runs past the end of the module`)
    r.end = end
    if (id === SECTION_IMPORT) readImports(r, layout, limits)
    else if (id === SECTION_FUNCTION) addFunctions(layout, r.u32(), limits)
    else if (id === SECTION_TABLE) {
      layout.tableSection = { header, start, end }
      const count = r.u32()
      checkTableCount(layout.tables.length + count, limits)
      for (let i = 0; i < count; i++) addTable(layout, r.tableType(false), limits)
    } else if (id === SECTION_MEMORY) {
      layout.memorySection = { header, start, end }
      const count = r.u32()
      checkMemoryCount(layout.memories.length + count, limits)
      for (let i = 0; i < count; i++) layout.memories.push(r.memoryType(false))
    } else if (id === SECTION_GLOBAL) addGlobals(layout, r.u32(), limits)
    else if (id === SECTION_ELEMENT) readElements(r, layout, limits)
    r.at = end
  }
  return layout
}

function readImports(r: Reader, layout: ModuleLayout, limits: ModuleLimits): void {
  for (let n = r.u32(); n > 0; n--) {
    r.name()
    r.name()
    const kind = r.byte()
    if (kind === 0x00) {
      r.u32()
      addFunctions(layout, 1, limits)
    } else if (kind === 0x01) {
      checkTableCount(layout.tables.length + 1, limits)
      addTable(layout, r.tableType(true), limits)
    } else if (kind === 0x02) {
      checkMemoryCount(layout.memories.length + 1, limits)
      layout.memories.push(r.memoryType(true))
    } else if (kind === 0x03) {
      r.byte()
      r.byte()
      addGlobals(layout, 1, limits)
    } else if (kind === 0x04) {
      r.byte()
      r.u32()
    } else throw new WasmError('bad_module', `unknown import kind ${kind}`)
  }
}

/** Element segments, in their eight encodings; only their element counts matter here. */
function readElements(r: Reader, layout: ModuleLayout, limits: ModuleLimits): void {
  for (let segment = 0, count = r.u32(); segment < count; segment++) {
    const flags = r.u32()
    if (flags > 7) throw new WasmError('bad_module', `element segment ${segment} has unknown flags ${flags}`)
    const explicitTable = (flags & 0x02) !== 0 && (flags & 0x01) === 0
    const active = (flags & 0x01) === 0
    const expressions = (flags & 0x04) !== 0
    if (explicitTable) r.u32()
    if (active) r.skipConstExpr()
    if (flags & 0x03) r.byte() // element kind or reference type
    const elements = r.u32()
    layout.elementSegmentElements += elements
    if (layout.elementSegmentElements > limits.maxElementSegmentElements) {
      throw new WasmError('limit', `element segment ${segment} declares ${n(elements)} elements, which brings the module's element segments to ${n(layout.elementSegmentElements)}; the limit is ${n(limits.maxElementSegmentElements)} per module`)
    }
    for (let i = 0; i < elements; i++) {
      if (expressions) r.skipConstExpr()
      else r.u32()
    }
  }
}

function addFunctions(layout: ModuleLayout, count: number, limits: ModuleLimits): void {
  layout.functions += count
  if (layout.functions > limits.maxFunctions) throw new WasmError('limit', `the module declares ${n(layout.functions)} functions; the limit is ${n(limits.maxFunctions)} per module`)
}

function addGlobals(layout: ModuleLayout, count: number, limits: ModuleLimits): void {
  layout.globals += count
  if (layout.globals > limits.maxGlobals) throw new WasmError('limit', `the module declares ${n(layout.globals)} globals; the limit is ${n(limits.maxGlobals)} per module`)
}

function checkTableCount(count: number, limits: ModuleLimits): void {
  if (count > limits.maxTables) throw new WasmError('limit', `the module declares ${n(count)} tables; the limit is ${n(limits.maxTables)} per module`)
}

function checkMemoryCount(count: number, limits: ModuleLimits): void {
  if (count > limits.maxMemories) throw new WasmError('limit', `the module declares ${n(count)} memories; the limit is ${n(limits.maxMemories)} per module`)
}

/** Tables are allocated at their initial size when the module is instantiated: count them as they are read. */
function addTable(layout: ModuleLayout, table: ModuleLayout['tables'][number], limits: ModuleLimits): void {
  const index = layout.tables.length
  layout.tables.push(table)
  const total = tableElements(layout)
  if (total > limits.maxTableElements) {
    const together = index > 0 ? `, which brings the module's tables to ${n(total)}` : ''
    throw new WasmError('limit', `table ${index} declares ${n(table.min)} elements${together}; the limit is ${n(limits.maxTableElements)} per module`)
  }
}

function tableElements(layout: ModuleLayout): number {
  return layout.tables.reduce((sum, t) => sum + t.min, 0)
}

/**
 * Refuse what readLayout leaves to the caller's own cap, with a message a person can act on: memory
 * that starts above the cap, memories we cannot cap.
 */
export function checkLayout(layout: ModuleLayout, capPages: number): void {
  for (const m of layout.memories) {
    if (m.memory64) throw new WasmError('bad_module', '64-bit memories are not supported')
    if (m.shared) throw new WasmError('bad_module', 'shared memories are not supported')
    if (m.limits.min > capPages) {
      throw new WasmError('memory', `memory limit exceeded: the module needs ${mib(m.limits.min)} MiB at start; the limit is ${mib(capPages)} MiB`)
    }
  }
}

/**
 * The same module with every defined memory's maximum lowered to `capPages`, and every defined
 * table's maximum lowered so that all tables together never grow past `maxTableElements`: growing
 * past either then fails inside the engine (memory.grow and table.grow return -1, and programs trap),
 * whatever the module declared.
 */
export function capModule(bytes: Uint8Array, layout: ModuleLayout, capPages: number, limits: ModuleLimits = DEFAULT_MODULE_LIMITS): Uint8Array {
  const rewrites: { span: SectionSpan; body: number[] }[] = []
  if (layout.tableSection) rewrites.push({ span: layout.tableSection, body: cappedTables(bytes, layout, limits) })
  if (layout.memorySection) rewrites.push({ span: layout.memorySection, body: cappedMemories(bytes, layout.memorySection, capPages) })
  return replaceSections(bytes, rewrites)
}

function cappedMemories(bytes: Uint8Array, span: SectionSpan, capPages: number): number[] {
  const r = new Reader(bytes, span.start, span.end)
  const count = r.u32()
  const body = leb(count)
  for (let i = 0; i < count; i++) {
    const l = r.limits()
    const max = Math.min(l.max ?? capPages, capPages)
    body.push(0x01, ...leb(Math.min(l.min, max)), ...leb(max))
  }
  if (r.at !== span.end) throw new WasmError('bad_module', 'the memory section has trailing bytes')
  return body
}

/**
 * The most elements each table may grow to: what it declares, but the tables that may grow share
 * what the initial sizes leave of the module's budget, so together they never pass it. (Imported
 * tables keep their own limits; the pool offers none to import.)
 */
function tableMaxima(layout: ModuleLayout, limits: ModuleLimits): number[] {
  const spare = Math.max(0, limits.maxTableElements - tableElements(layout))
  const defined = layout.tables.filter((t) => !t.imported).length
  const share = defined ? Math.floor(spare / defined) : 0
  return layout.tables.map((t) => (t.imported ? (t.max ?? t.min) : Math.min(t.max ?? Infinity, t.min + share)))
}

/** Bytes per table slot and per global in V8's heap on 64-bit Node (no pointer compression), rounded up. */
const SLOT_BYTES = 8
const GLOBAL_BYTES = 16

/**
 * What one instance of the module may hold in the engine's heap at most: its tables at their capped
 * maximum, its globals and its element segments. (Its memory is counted apart, under the memory cap.)
 */
export function engineHeapBytes(layout: ModuleLayout, limits: ModuleLimits = DEFAULT_MODULE_LIMITS): number {
  const tables = tableMaxima(layout, limits).reduce((sum, max) => sum + max, 0)
  return tables * SLOT_BYTES + layout.globals * GLOBAL_BYTES + layout.elementSegmentElements * SLOT_BYTES
}

function cappedTables(bytes: Uint8Array, layout: ModuleLayout, limits: ModuleLimits): number[] {
  const span = layout.tableSection!
  const maxima = tableMaxima(layout, limits)
  const firstDefined = layout.tables.findIndex((t) => !t.imported)
  const r = new Reader(bytes, span.start, span.end)
  const count = r.u32()
  const body = leb(count)
  for (let i = 0; i < count; i++) {
    const t = r.tableType(false)
    body.push(t.elementType, 0x01, ...leb(t.min), ...leb(maxima[firstDefined + i]))
  }
  if (r.at !== span.end) throw new WasmError('bad_module', 'the table section has trailing bytes')
  return body
}

/** Splice new contents into sections (their size fields rewritten), in one copy. */
function replaceSections(bytes: Uint8Array, rewrites: { span: SectionSpan; body: number[] }[]): Uint8Array {
  if (rewrites.length === 0) return bytes
  rewrites.sort((a, b) => a.span.header - b.span.header)
  const parts: (Uint8Array | number[])[] = []
  let at = 0
  for (const { span, body } of rewrites) {
    parts.push(bytes.subarray(at, span.header + 1), leb(body.length), body)
    at = span.end
  }
  parts.push(bytes.subarray(at))
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** Unsigned LEB128, as module sections write their counts and sizes. */
export function leb(value: number): number[] {
  const out: number[] = []
  do {
    let b = value % 128
    value = Math.floor(value / 128)
    if (value > 0) b |= 0x80
    out.push(b)
  } while (value > 0)
  return out
}

function n(value: number): string {
  return value.toLocaleString('en')
}

function mibOfBytes(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 100) / 100
}

export function mib(pages: number): number {
  return mibOfBytes(pages * PAGE_BYTES)
}
