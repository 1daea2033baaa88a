/**
 * The shared-memory channel between the pool and one tenant worker. A plain postMessage round trip
 * costs ~60 µs here, which alone would blow the warm-call budget; instead the worker sleeps in
 * Atomics.wait on a control word, the pool writes the arguments next to it and wakes it, and spins
 * briefly for the answer (a trivial call comes back in a few µs). Everything that does not fit
 * (modules, WASI runs, large byte buffers) goes through a MessagePort, which the worker drains
 * synchronously (receiveMessageOnPort) when woken with OP_MESSAGES.
 */
import type { ModuleLimits } from './binary'

export const CONTROL_INTS = 16
export const NUMBERS = 16 // 8 arguments, 8 results
export const BYTES_OFFSET = CONTROL_INTS * 4 + NUMBERS * 8
export const BYTES_CAPACITY = 64 * 1024
export const CHANNEL_BYTES = BYTES_OFFSET + BYTES_CAPACITY
export const MAX_FAST_ARGS = 8

// ctl[] slots
export const STATE = 0
export const OP = 1
export const CALLABLE = 2
export const ARGC = 3
export const STATUS = 4
export const RESULTS = 5
export const LENGTH = 6
export const BIGINT_MASK = 7
export const ERROR_KIND = 8

// STATE values
export const IDLE = 0
export const REQUEST = 1
export const DONE = 2

// OP values
export const OP_CALL = 1
export const OP_MESSAGES = 2
export const OP_BYTES = 3

// STATUS values
export const OK = 0
export const FAILED = 1

export const ERROR_KINDS = ['trap', 'memory', 'bad_request', 'not_found', 'limit', 'import', 'stack'] as const

export interface Channel {
  control: Int32Array
  numbers: Float64Array
  bytes: Uint8Array
}

export function openChannel(buffer: SharedArrayBuffer): Channel {
  return {
    control: new Int32Array(buffer, 0, CONTROL_INTS),
    numbers: new Float64Array(buffer, CONTROL_INTS * 4, NUMBERS),
    bytes: new Uint8Array(buffer, BYTES_OFFSET, BYTES_CAPACITY),
  }
}

/** Where a WASI program's standard streams go: a file (opened by the worker) or this process's own. */
export interface WasiStdio {
  stdin: string | 'inherit'
  stdout: string | 'inherit'
  stderr: string | 'inherit'
}

/** Messages the pool sends to a worker through its port. */
export type WorkerRequest =
  | { id: number; type: 'load'; key: string; module: WebAssembly.Module; capPages: number; instances: number }
  | { id: number; type: 'bind'; key: string; exportName: string }
  | { id: number; type: 'call'; key: string; exportName: string; args: number[]; input?: Uint8Array; fresh?: boolean }
  | { id: number; type: 'wasi'; key: string; module: WebAssembly.Module; capPages: number; invoke?: string; args: string[]; env: Record<string, string>; preopens: Record<string, string>; stdio: WasiStdio }
  | { id: number; type: 'component-load'; key: string; dir: string; imports: string[]; capPages: number; limits: ModuleLimits }
  | { id: number; type: 'component-call'; key: string; exportName: string; args: (number | string)[] }
  | { id: number; type: 'drop'; key: string }
  | { id: number; type: 'stats' }

export type WorkerReply =
  | { id: number; ok: true; value?: unknown }
  | { id: number; ok: false; kind: (typeof ERROR_KINDS)[number]; message: string }
