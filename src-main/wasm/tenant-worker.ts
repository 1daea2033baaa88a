/**
 * A tenant's worker thread: it holds that tenant's instances and nobody else's, and runs their calls.
 * It never returns to its event loop: it sleeps in Atomics.wait on the shared control word and is
 * woken for a fast call or to drain its port (see channel.ts).
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { WASI } from 'node:wasi'
import {
  ARGC,
  BIGINT_MASK,
  CALLABLE,
  DONE,
  ERROR_KIND,
  ERROR_KINDS,
  FAILED,
  LENGTH,
  OK,
  OP,
  OP_BYTES,
  OP_CALL,
  OP_MESSAGES,
  openChannel,
  REQUEST,
  RESULTS,
  STATE,
  STATUS,
  type WorkerReply,
  type WorkerRequest,
} from './channel'
import { capModule, checkLayout, readLayout } from './binary'
import { WasmError } from './errors'

const { channel: buffer, port } = workerData as { channel: SharedArrayBuffer; port: MessagePort }
const { control, numbers, bytes } = openChannel(buffer)

type ErrorKind = (typeof ERROR_KINDS)[number]
class CallError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message)
  }
}

interface Loaded {
  module: WebAssembly.Module
  capPages: number
  /** Warm instances, ready to call; the first serves calls, the rest keep the pre-warmed count. */
  instances: WebAssembly.Instance[]
}

const loaded = new Map<string, Loaded>()
/** Instantiated components by key: their exported functions. */
const components = new Map<string, Record<string, unknown>>()

/**
 * Import a transpiled component's bindings and instantiate it: its core modules compiled here with
 * the memory cap, its WASI imports (only those ComponentStore allowed) served by preview2-shim.
 */
async function loadComponent(req: Extract<WorkerRequest, { type: 'component-load' }>): Promise<string[]> {
  const bindings = (await import(pathToFileURL(join(req.dir, 'component.mjs')).href)) as { instantiate(getCoreModule: (name: string) => WebAssembly.Module, imports: Record<string, unknown>): Record<string, unknown> }
  const shim = req.imports.length ? ((await import('@bytecodealliance/preview2-shim')) as Record<string, Record<string, unknown>>) : {}
  const imports: Record<string, unknown> = {}
  for (const name of req.imports) {
    const [, pkg, iface] = /^wasi:([a-z]+)\/([a-z-]+)/.exec(name) ?? []
    const provided = pkg && iface ? shim[pkg]?.[iface.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] : undefined
    if (!provided) throw new CallError('import', `the pool cannot provide ${name}`)
    imports[name] = provided
    imports[name.replace(/@.*$/, '')] = provided
  }
  // A component's core modules are held to the same limits as a module sent on its own.
  const getCoreModule = (name: string) => {
    const bytes = new Uint8Array(readFileSync(join(req.dir, name)))
    const layout = readLayout(bytes, req.limits)
    checkLayout(layout, req.capPages)
    return new WebAssembly.Module(capModule(bytes, layout, req.capPages, req.limits) as BufferSource)
  }
  try {
    components.set(req.key, bindings.instantiate(getCoreModule, imports))
  } catch (err) {
    if (err instanceof WasmError) throw new CallError(err.kind === 'memory' ? 'memory' : err.kind === 'limit' ? 'limit' : 'bad_request', `a core module of the component: ${err.message}`)
    throw new CallError('import', `the component cannot be instantiated: ${(err as Error).message}`)
  }
  return Object.keys(components.get(req.key)!)
}
const callables: { key: string; exportName: string }[] = []

function instantiate(entry: Loaded): WebAssembly.Instance {
  const needsWasi = WebAssembly.Module.imports(entry.module).some((i) => i.module === 'wasi_snapshot_preview1')
  if (!needsWasi) return new WebAssembly.Instance(entry.module, {})
  // A reactor-style module that uses WASI for clocks or random numbers: no files, no arguments.
  const wasi = new WASI({ version: 'preview1', args: [], env: {}, returnOnExit: true })
  const instance = new WebAssembly.Instance(entry.module, wasi.getImportObject() as WebAssembly.Imports)
  if (typeof instance.exports._initialize === 'function') wasi.initialize(instance)
  return instance
}

function warm(key: string): WebAssembly.Instance {
  const entry = loaded.get(key)
  if (!entry) throw new CallError('not_found', 'the module is not loaded in this worker')
  if (entry.instances.length === 0) entry.instances.push(instantiate(entry))
  return entry.instances[0]
}

function exportedFunction(instance: WebAssembly.Instance, name: string): (...args: unknown[]) => unknown {
  const fn = instance.exports[name]
  if (typeof fn !== 'function') {
    const available = Object.entries(instance.exports)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k)
    throw new CallError('not_found', `the module exports no function "${name}" (it exports: ${available.join(', ') || 'none'})`)
  }
  return fn as (...args: unknown[]) => unknown
}

/**
 * Memory that grows past the cap makes memory.grow fail and the program trap; the engine does not say
 * why it trapped, so a trap with the memory within an eighth of its cap (the last grow asked for more
 * than was left) is reported as "memory limit exceeded".
 */
function nearCap(memory: unknown, capPages: number): boolean {
  return memory instanceof WebAssembly.Memory && memory.buffer.byteLength >= capPages * 65536 * 0.875
}

/** The engine's own words for a call nested too deep (V8: "Maximum call stack size exceeded"). */
function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /Maximum call stack size exceeded/i.test(err.message)
}

function stackOverflow(err: unknown): CallError {
  return new CallError('stack', `stack overflow: the call nested too deep for the worker's stack (${(err as Error).message}); look for unbounded recursion`)
}

function explainTrap(err: unknown, key: string, instance?: WebAssembly.Instance): CallError {
  if (err instanceof CallError) return err
  const entry = loaded.get(key)
  const memory = instance?.exports.memory
  // The instance may be in any state after a trap: the next call gets a fresh one.
  if (entry && instance) entry.instances = entry.instances.filter((i) => i !== instance)
  // Checked first: a deep recursion says so itself, whatever the memory looks like.
  if (isStackOverflow(err)) return stackOverflow(err)
  if (entry && nearCap(memory, entry.capPages)) {
    return new CallError('memory', `memory limit exceeded (${(entry.capPages * 65536) / 1048576} MiB)`)
  }
  if (err instanceof TypeError) return new CallError('bad_request', err.message)
  if (err instanceof RangeError && /memory/i.test(err.message)) return new CallError('memory', `memory limit exceeded: ${err.message}`)
  return new CallError('trap', `the module trapped: ${(err as Error)?.message ?? String(err)}`)
}

/** Call with numbers; i64 parameters want BigInts, which the JS API only tells us by refusing numbers. */
function callWithNumbers(fn: (...args: unknown[]) => unknown, args: number[]): unknown {
  try {
    return fn(...args)
  } catch (err) {
    if (err instanceof TypeError && /BigInt/.test(err.message)) return fn(...args.map((a) => BigInt(Math.trunc(a))))
    throw err
  }
}

function results(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}

/** The byte-workload ABI (native/wasm/abi.md): alloc, copy in, run, read (ptr << 32 | len). */
function runBytes(instance: WebAssembly.Instance, exportName: string, input: Uint8Array): Uint8Array {
  const alloc = exportedFunction(instance, 'alloc')
  const run = exportedFunction(instance, exportName)
  const memory = instance.exports.memory
  if (!(memory instanceof WebAssembly.Memory)) throw new CallError('bad_request', 'the module exports no memory, so it cannot take bytes')
  const ptr = Number(alloc(input.length))
  new Uint8Array(memory.buffer).set(input, ptr)
  const packed = BigInt(run(ptr, input.length) as bigint | number)
  const outPtr = Number(packed >> 32n)
  const outLen = Number(packed & 0xffffffffn)
  if (outPtr + outLen > memory.buffer.byteLength) throw new CallError('trap', 'the module returned output outside its memory')
  return new Uint8Array(memory.buffer, outPtr, outLen).slice()
}

function fastCall(): void {
  const target = callables[control[CALLABLE]]
  if (!target) throw new CallError('not_found', 'unknown callable')
  let instance: WebAssembly.Instance | undefined
  try {
    instance = warm(target.key)
    const fn = exportedFunction(instance, target.exportName)
    if (control[OP] === OP_BYTES) {
      const out = runBytes(instance, target.exportName, bytes.slice(0, control[LENGTH]))
      if (out.length > bytes.length) throw new CallError('limit', 'the output is larger than the fast channel; use the message path')
      bytes.set(out)
      control[LENGTH] = out.length
      control[RESULTS] = 0
      return
    }
    const args = Array.from(numbers.subarray(0, control[ARGC]))
    const values = results(callWithNumbers(fn, args)).slice(0, 8)
    let mask = 0
    values.forEach((v, i) => {
      if (typeof v === 'bigint') mask |= 1 << i
      numbers[8 + i] = Number(v)
    })
    control[BIGINT_MASK] = mask
    control[RESULTS] = values.length
  } catch (err) {
    throw explainTrap(err, target.key, instance)
  }
}

/**
 * Open a standard stream's file. The program may close its own streams, and the number can then be
 * reused by another file in this process; so it is closed afterwards only if it is still our file.
 */
function openStream(target: string | 'inherit', inherited: number, flags: string): { fd: number; close(): void } {
  if (target === 'inherit') return { fd: inherited, close() {} }
  const fd = openSync(target, flags)
  const { ino, dev } = fstatSync(fd)
  return {
    fd,
    close() {
      try {
        const now = fstatSync(fd)
        if (now.ino === ino && now.dev === dev) closeSync(fd)
      } catch {
        // already closed by the program
      }
    },
  }
}

function runWasi(req: Extract<WorkerRequest, { type: 'wasi' }>): number {
  const streams = [openStream(req.stdio.stdin, 0, 'r'), openStream(req.stdio.stdout, 1, 'w'), openStream(req.stdio.stderr, 2, 'w')]
  try {
    return runWasiWith(req, streams[0].fd, streams[1].fd, streams[2].fd)
  } finally {
    for (const s of streams) s.close()
  }
}

function runWasiWith(req: Extract<WorkerRequest, { type: 'wasi' }>, stdin: number, stdout: number, stderr: number): number {
  const wasi = new WASI({ version: 'preview1', args: req.args, env: req.env, preopens: req.preopens, stdin, stdout, stderr, returnOnExit: true })
  let instance: WebAssembly.Instance | undefined
  try {
    instance = new WebAssembly.Instance(req.module, wasi.getImportObject() as WebAssembly.Imports)
    if (req.invoke) {
      if (typeof instance.exports._initialize === 'function') wasi.initialize(instance)
      exportedFunction(instance, req.invoke)()
      return 0
    }
    if (typeof instance.exports._start !== 'function') throw new CallError('bad_request', 'the module has no _start: it is not a WASI command (give an export to call)')
    return wasi.start(instance)
  } catch (err) {
    if (err instanceof CallError) throw err
    if (isStackOverflow(err)) throw stackOverflow(err)
    const memory = instance?.exports.memory
    if (nearCap(memory, req.capPages)) {
      throw new CallError('memory', `memory limit exceeded (${(req.capPages * 65536) / 1048576} MiB)`)
    }
    throw new CallError('trap', `the program trapped: ${(err as Error)?.message ?? String(err)}`)
  }
}

function handle(req: WorkerRequest): unknown {
  switch (req.type) {
    case 'component-load':
      return loadComponent(req)
    case 'component-call': {
      const component = components.get(req.key)
      if (!component) throw new CallError('not_found', 'the component is not loaded in this worker')
      const fn = component[req.exportName]
      if (typeof fn !== 'function') {
        throw new CallError('not_found', `the component exports no function "${req.exportName}" (it exports: ${Object.keys(component).filter((k) => typeof component[k] === 'function').join(', ') || 'none'})`)
      }
      try {
        const value = fn(...req.args)
        return { values: results(value).map((v) => (typeof v === 'bigint' ? v.toString() : typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v))) }
      } catch (err) {
        if (isStackOverflow(err)) throw stackOverflow(err)
        throw new CallError(err instanceof TypeError ? 'bad_request' : 'trap', `the component failed: ${(err as Error)?.message ?? String(err)}`)
      }
    }
    case 'load': {
      const entry = loaded.get(req.key) ?? { module: req.module, capPages: req.capPages, instances: [] }
      loaded.set(req.key, entry)
      try {
        while (entry.instances.length < req.instances) entry.instances.push(instantiate(entry))
      } catch (err) {
        // A start function runs during instantiation: it can recurse too deep or trap like any call.
        if (isStackOverflow(err)) throw stackOverflow(err)
        if (err instanceof WebAssembly.RuntimeError) throw new CallError('trap', `the module trapped while starting: ${err.message}`)
        throw new CallError('import', `the module cannot be instantiated: ${(err as Error).message}`)
      }
      return entry.instances.length
    }
    case 'bind': {
      const instance = warm(req.key)
      exportedFunction(instance, req.exportName)
      callables.push({ key: req.key, exportName: req.exportName })
      return callables.length - 1
    }
    case 'call': {
      let instance: WebAssembly.Instance | undefined
      try {
        const entry = loaded.get(req.key)
        instance = req.fresh && entry ? instantiate(entry) : warm(req.key)
        if (req.input) return { output: runBytes(instance, req.exportName, req.input) }
        return { values: results(callWithNumbers(exportedFunction(instance, req.exportName), req.args)).map((v) => (typeof v === 'bigint' ? v.toString() : v)) }
      } catch (err) {
        throw explainTrap(err, req.key, instance)
      }
    }
    case 'wasi':
      return runWasi(req)
    case 'drop':
      loaded.delete(req.key)
      components.delete(req.key)
      return null
    case 'stats': {
      let instances = 0
      let memoryBytes = 0
      instances += components.size
      for (const entry of loaded.values()) {
        instances += entry.instances.length
        for (const i of entry.instances) if (i.exports.memory instanceof WebAssembly.Memory) memoryBytes += i.exports.memory.buffer.byteLength
      }
      return { instances, memoryBytes, modules: loaded.size }
    }
  }
}

async function drainPort(): Promise<void> {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const req = m.message as WorkerRequest
    let reply: WorkerReply
    try {
      // Components load their bindings with import(), so their requests are awaited; while they
      // are, this thread's event loop runs.
      reply = { id: req.id, ok: true, value: await handle(req) }
    } catch (err) {
      const e = err instanceof CallError ? err : new CallError('trap', (err as Error)?.message ?? String(err))
      reply = { id: req.id, ok: false, kind: e.kind, message: e.message }
    }
    port.postMessage(reply)
  }
}

function fail(err: unknown): void {
  const e = err instanceof CallError ? err : new CallError('trap', (err as Error)?.message ?? String(err))
  const message = new TextEncoder().encode(e.message).subarray(0, bytes.length)
  bytes.set(message)
  control[LENGTH] = message.length
  control[ERROR_KIND] = ERROR_KINDS.indexOf(e.kind)
  control[STATUS] = FAILED
}

/**
 * After an answer, watch for the next request for a moment before sleeping: calls often come back to
 * back, and waking a sleeping thread costs ~20 µs, more than a warm call itself.
 */
const WATCH_MS = 0.2

for (;;) {
  const watchUntil = performance.now() + WATCH_MS
  while (Atomics.load(control, STATE) !== REQUEST && performance.now() < watchUntil);
  // Sleep until the pool posts a request; any other state change just wakes us to look again.
  for (let state = Atomics.load(control, STATE); state !== REQUEST; state = Atomics.load(control, STATE)) Atomics.wait(control, STATE, state)
  const op = control[OP]
  control[STATUS] = OK
  if (op === OP_MESSAGES) {
    await drainPort()
  } else if (op === OP_CALL || op === OP_BYTES) {
    try {
      fastCall()
    } catch (err) {
      fail(err)
    }
  }
  Atomics.store(control, STATE, DONE)
  Atomics.notify(control, STATE)
}
