/**
 * The workloads that ship with the app, built from native/wasm/*.wat into resources/wasm/ (see
 * native/build-wasm.mjs and native/wasm/abi.md). The demo fleet and the benchmarks use them.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../paths'
import { WasmError } from './errors'

export interface BuiltinWorkload {
  name: string
  description: string
  /** The export to call when the request names none. */
  defaultExport: string
  /** Takes and returns bytes through the byte ABI. */
  bytes: boolean
}

export const BUILTIN_WORKLOADS: readonly BuiltinWorkload[] = [
  { name: 'trivial', description: 'add(a, b) and noop(): the warm-call benchmark', defaultExport: 'add', bytes: false },
  { name: 'hash', description: 'FNV-1a 64-bit digest of the input bytes', defaultExport: 'run', bytes: true },
  { name: 'transform', description: 'image-like: RGBA pixels (u32 width, u32 height, pixels) to grayscale', defaultExport: 'run', bytes: true },
  { name: 'http', description: 'HTTP-like request handler: a request in, a full response out', defaultExport: 'run', bytes: true },
  { name: 'greeter', description: 'a WebAssembly component (jco): greet(name), add(a, b), word-count(text)', defaultExport: 'greet', bytes: false },
]

export function builtinWorkload(name: string): BuiltinWorkload {
  const workload = BUILTIN_WORKLOADS.find((w) => w.name === name)
  if (!workload) throw new WasmError('not_found', `no built-in workload "${name}" (there are: ${BUILTIN_WORKLOADS.map((w) => w.name).join(', ')})`)
  return workload
}

const bytesCache = new Map<string, Uint8Array>()

export function builtinBytes(name: string, dir = join(projectRoot(), 'resources', 'wasm')): Uint8Array {
  builtinWorkload(name)
  let bytes = bytesCache.get(name)
  if (!bytes) {
    const file = existsSync(join(dir, `${name}.wasm`)) ? `${name}.wasm` : `${name}.component.wasm`
    bytes = new Uint8Array(readFileSync(join(dir, file)))
    bytesCache.set(name, bytes)
  }
  return bytes
}
