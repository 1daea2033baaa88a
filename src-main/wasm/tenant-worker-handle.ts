/**
 * The pool's side of one tenant worker: requests are serialized (a worker runs one thing at a time),
 * each waits for the worker's answer on the shared control word — spinning briefly, then sleeping
 * with Atomics.waitAsync — and a request that outlives its time limit terminates the worker.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads'
import { startWorker } from '../workers'
import {
  ARGC,
  BIGINT_MASK,
  CALLABLE,
  CHANNEL_BYTES,
  DONE,
  ERROR_KIND,
  ERROR_KINDS,
  FAILED,
  IDLE,
  LENGTH,
  MAX_FAST_ARGS,
  OP,
  OP_BYTES,
  OP_CALL,
  OP_MESSAGES,
  openChannel,
  REQUEST,
  RESULTS,
  STATE,
  STATUS,
  type Channel,
  type WorkerReply,
  type WorkerRequest,
} from './channel'
import { WasmError } from './errors'

/** How long to spin for an answer before sleeping: a trivial call answers in a few microseconds. */
const SPIN_MS = 0.1

type WaitAsync = (array: Int32Array, index: number, value: number, timeoutMs?: number) => { async: boolean; value: Promise<string> | string }
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never
export type WorkerCommand = Distribute<WorkerRequest>

export class TenantWorker {
  private readonly worker: Worker
  private readonly port: MessagePort
  private readonly channel: Channel
  private tail: Promise<unknown> = Promise.resolve()
  private nextId = 1
  private dead = false
  /** Why the thread ended, when it did not end by our terminate(). */
  private deathCause?: Error
  /** Requests queued or running: the pool sends new work to the least loaded worker. */
  pending = 0
  /** Module keys loaded here, with how many instances each holds. */
  readonly loaded = new Map<string, number>()
  /** Module keys loaded here, with what each instance may hold in the engine's heap (binary.ts engineHeapBytes). */
  readonly heapPerInstance = new Map<string, number>()
  readonly callables = new Map<string, number>()

  constructor(readonly tenant: string) {
    const buffer = new SharedArrayBuffer(CHANNEL_BYTES)
    this.channel = openChannel(buffer)
    const { port1, port2 } = new MessageChannel()
    this.port = port1
    // --no-warnings: node:wasi's "experimental" notice would otherwise land in every program's stderr.
    // No resourceLimits heap cap: on Node 20, a worker that reaches it while WebAssembly tables grow
    // aborts the whole process (V8's fatal out-of-memory), not just the thread. What instances hold
    // in the engine's heap is bounded before they exist instead (binary.ts, WasmPool's heap budget).
    this.worker = startWorker('wasm-tenant-worker', { workerData: { channel: buffer, port: port2 }, transferList: [port2], execArgv: ['--no-warnings'] })
    this.worker.unref()
    this.worker.on('error', (err) => {
      this.deathCause ??= err
      this.markDead()
    })
    this.worker.on('exit', () => this.markDead())
  }

  get alive(): boolean {
    return !this.dead
  }

  get instances(): number {
    let n = 0
    for (const count of this.loaded.values()) n += count
    return n
  }

  /** A request through the port; the answer is read synchronously once the worker says it is done. */
  request(command: WorkerCommand, timeoutMs: number): Promise<unknown> {
    return this.serialized(async () => {
      const id = this.nextId++
      this.port.postMessage({ ...command, id } as WorkerRequest)
      await this.signal(OP_MESSAGES, timeoutMs)
      const reply = receiveMessageOnPort(this.port)?.message as WorkerReply | undefined
      if (!reply || reply.id !== id) throw new WasmError('trap', 'the worker did not answer')
      if (!reply.ok) throw new WasmError(reply.kind, reply.message)
      return reply.value
    })
  }

  /** A call with numbers only, through shared memory. */
  call(callable: number, args: number[], timeoutMs: number): Promise<(number | bigint)[]> {
    if (args.length > MAX_FAST_ARGS) throw new WasmError('bad_request', `at most ${MAX_FAST_ARGS} arguments`)
    return this.serialized(async () => {
      const { control, numbers } = this.channel
      control[CALLABLE] = callable
      control[ARGC] = args.length
      numbers.set(args)
      await this.signal(OP_CALL, timeoutMs)
      this.throwIfFailed()
      const values: (number | bigint)[] = []
      for (let i = 0; i < control[RESULTS]; i++) values.push(control[BIGINT_MASK] & (1 << i) ? BigInt(numbers[8 + i]) : numbers[8 + i])
      return values
    })
  }

  /** A byte-workload call whose input and output fit the shared buffer. */
  callBytes(callable: number, input: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (input.length > this.channel.bytes.length) throw new WasmError('bad_request', 'input too large for the fast channel')
    return this.serialized(async () => {
      const { control, bytes } = this.channel
      control[CALLABLE] = callable
      control[LENGTH] = input.length
      bytes.set(input)
      await this.signal(OP_BYTES, timeoutMs)
      this.throwIfFailed()
      return bytes.slice(0, control[LENGTH])
    })
  }

  static fitsFastBytes(input: Uint8Array): boolean {
    return input.length <= 32 * 1024
  }

  async terminate(): Promise<void> {
    this.markDead()
    await this.worker.terminate()
  }

  private serialized<T>(run: () => Promise<T>): Promise<T> {
    if (this.dead) return Promise.reject(new WasmError('unavailable', 'the worker has stopped'))
    // Atomics.waitAsync does not keep Node's event loop alive: the worker does, while it has work.
    if (this.pending++ === 0) this.worker.ref()
    // Idle worker: start at once rather than behind a settled promise (a few microtasks saved).
    const result = this.pending === 1 ? run() : this.tail.then(run)
    this.tail = result
      .catch(() => {})
      .finally(() => {
        if (--this.pending === 0) this.worker.unref()
      })
    return result
  }

  private async signal(op: number, timeoutMs: number): Promise<void> {
    const { control } = this.channel
    if (this.dead) throw new WasmError('unavailable', 'the worker has stopped')
    control[OP] = op
    Atomics.store(control, STATE, REQUEST)
    Atomics.notify(control, STATE)
    const started = performance.now()
    const deadline = started + timeoutMs
    const spinUntil = started + SPIN_MS
    while (Atomics.load(control, STATE) !== DONE) {
      if (this.dead) throw this.stoppedError()
      const now = performance.now()
      if (now < spinUntil) continue
      if (now >= deadline) {
        // A runaway module can only be stopped by ending its thread; the pool starts another.
        void this.terminate()
        throw new WasmError('timeout', `time limit exceeded (${timeoutMs} ms): the call was stopped`)
      }
      const wait = waitAsync(control, STATE, REQUEST, deadline - now)
      if (wait.async) await wait.value
    }
    Atomics.store(control, STATE, IDLE)
  }

  private stoppedError(): WasmError {
    return new WasmError('trap', `the worker stopped while running the call${this.deathCause ? `: ${this.deathCause.message}` : ''}`)
  }

  private throwIfFailed(): void {
    const { control, bytes } = this.channel
    if (control[STATUS] !== FAILED) return
    const message = new TextDecoder().decode(bytes.subarray(0, control[LENGTH]))
    throw new WasmError(ERROR_KINDS[control[ERROR_KIND]] ?? 'trap', message)
  }

  private markDead(): void {
    if (this.dead) return
    this.dead = true
    // Wake anyone sleeping on the control word, so they notice.
    Atomics.notify(this.channel.control, STATE)
  }
}
