/**
 * Just enough of the WebAssembly binary format to judge a module before it runs and to cap its
 * memory: the header, the import, table and memory sections, and a rewrite of the memory limits.
 * Everything else is left to the engine's own validation (WebAssembly.compile).
 */
import { WasmError } from './errors'

export const PAGE_BYTES = 65_536
/** More table slots than any real program needs; V8 itself allows 10 million. */
export const MAX_TABLE_ELEMENTS = 1_000_000

const MAGIC = [0x00, 0x61, 0x73, 0x6d]
const SECTION_IMPORT = 2
const SECTION_TABLE = 4
const SECTION_MEMORY = 5

export type BinaryKind = 'module' | 'component'

export interface Limits {
  min: number
  max?: number
}

export interface ModuleLayout {
  memories: { limits: Limits; imported: boolean; shared: boolean; memory64: boolean }[]
  tables: Limits[]
  /** Where the memory section's contents lie, when the module defines memories. */
  memorySection?: { start: number; end: number }
}

/** Core module or component, from the header; anything else is refused with a clear message. */
export function binaryKind(bytes: Uint8Array): BinaryKind {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new WasmError('bad_module', 'not a WebAssembly binary (it does not start with \\0asm)')
  if (bytes[4] === 0x01 && bytes[5] === 0x00 && bytes[6] === 0x00 && bytes[7] === 0x00) return 'module'
  if (bytes[6] === 0x01 && bytes[7] === 0x00) return 'component'
  throw new WasmError('bad_module', `unknown WebAssembly binary version ${[...bytes.subarray(4, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`)
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
  ) {}

  byte(): number {
    if (this.at >= this.bytes.length) throw new WasmError('bad_module', 'the module ends in the middle of a section')
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

  name(): void {
    const length = this.u32() // read first: `this.at += this.u32()` would add to the old position
    this.at += length
  }

  limits(): Limits & { shared: boolean; memory64: boolean } {
    const flags = this.byte()
    const min = this.u32()
    const max = flags & 0x01 ? this.u32() : undefined
    return { min, ...(max !== undefined ? { max } : {}), shared: (flags & 0x02) !== 0, memory64: (flags & 0x04) !== 0 }
  }
}

export function readLayout(bytes: Uint8Array): ModuleLayout {
  const layout: ModuleLayout = { memories: [], tables: [] }
  const r = new Reader(bytes, 8)
  while (r.at < bytes.length) {
    const id = r.byte()
    const size = r.u32()
    const start = r.at
    const end = start + size
    if (end > bytes.length) throw new WasmError('bad_module', `section ${id} runs past the end of the module`)
    if (id === SECTION_IMPORT) readImports(r, layout)
    else if (id === SECTION_TABLE) {
      for (let n = r.u32(); n > 0; n--) {
        r.byte() // element type
        layout.tables.push(r.limits())
      }
    } else if (id === SECTION_MEMORY) {
      layout.memorySection = { start, end }
      for (let n = r.u32(); n > 0; n--) {
        const l = r.limits()
        layout.memories.push({ limits: { min: l.min, ...(l.max !== undefined ? { max: l.max } : {}) }, imported: false, shared: l.shared, memory64: l.memory64 })
      }
    }
    r.at = end
  }
  return layout
}

function readImports(r: Reader, layout: ModuleLayout): void {
  for (let n = r.u32(); n > 0; n--) {
    r.name()
    r.name()
    const kind = r.byte()
    if (kind === 0x00) r.u32()
    else if (kind === 0x01) {
      r.byte()
      layout.tables.push(r.limits())
    } else if (kind === 0x02) {
      const l = r.limits()
      layout.memories.push({ limits: { min: l.min, ...(l.max !== undefined ? { max: l.max } : {}) }, imported: true, shared: l.shared, memory64: l.memory64 })
    } else if (kind === 0x03) {
      r.byte()
      r.byte()
    } else if (kind === 0x04) {
      r.byte()
      r.u32()
    } else throw new WasmError('bad_module', `unknown import kind ${kind}`)
  }
}

/**
 * Refuse what would hurt the host before the engine sees it, with a message a person can act on:
 * tables beyond MAX_TABLE_ELEMENTS, memory that starts above the cap, memories we cannot cap.
 */
export function checkLayout(layout: ModuleLayout, capPages: number): void {
  for (const t of layout.tables) {
    if (t.min > MAX_TABLE_ELEMENTS) throw new WasmError('limit', `the module asks for a table of ${t.min.toLocaleString('en')} elements; the limit is ${MAX_TABLE_ELEMENTS.toLocaleString('en')}`)
  }
  for (const m of layout.memories) {
    if (m.memory64) throw new WasmError('bad_module', '64-bit memories are not supported')
    if (m.shared) throw new WasmError('bad_module', 'shared memories are not supported')
    if (m.limits.min > capPages) {
      throw new WasmError('memory', `memory limit exceeded: the module needs ${mib(m.limits.min)} MiB at start; the limit is ${mib(capPages)} MiB`)
    }
  }
}

/**
 * The same module with every defined memory's maximum lowered to `capPages`: growing past it then
 * fails inside the engine (memory.grow returns -1, and programs trap), whatever the module declared.
 */
export function capMemory(bytes: Uint8Array, layout: ModuleLayout, capPages: number): Uint8Array {
  if (!layout.memorySection) return bytes
  const { start, end } = layout.memorySection
  const r = new Reader(bytes, start)
  const body: number[] = []
  const count = r.u32()
  body.push(...leb(count))
  for (let i = 0; i < count; i++) {
    const l = r.limits()
    const max = Math.min(l.max ?? capPages, capPages)
    body.push(0x01, ...leb(Math.min(l.min, max)), ...leb(max))
  }
  if (r.at !== end) throw new WasmError('bad_module', 'the memory section has trailing bytes')
  // Rewrite the section's size field: find where it starts (id byte, then the LEB size, then `start`).
  let sizeStart = start - 1
  while (sizeStart > 8 && bytes[sizeStart - 1] & 0x80) sizeStart--
  const out = new Uint8Array(sizeStart + leb(body.length).length + body.length + (bytes.length - end))
  out.set(bytes.subarray(0, sizeStart))
  let at = sizeStart
  for (const b of leb(body.length)) out[at++] = b
  out.set(body, at)
  at += body.length
  out.set(bytes.subarray(end), at)
  return out
}

function leb(value: number): number[] {
  const out: number[] = []
  do {
    let b = value % 128
    value = Math.floor(value / 128)
    if (value > 0) b |= 0x80
    out.push(b)
  } while (value > 0)
  return out
}

export function mib(pages: number): number {
  return Math.round(((pages * PAGE_BYTES) / 1024 / 1024) * 100) / 100
}
