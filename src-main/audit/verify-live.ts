/**
 * Full verification of the live log, spread over worker threads: each scans aligned ranges of
 * entries on its own read-only connection (scan.ts), and this thread joins their subtrees in order,
 * checking every signed head at its size and the root recorded at append time.
 *
 * Same verdicts as the sequential verifier used for bundles (verify.ts): the first problem in log
 * order, named by entry.
 */
import { availableParallelism } from 'node:os'
import type { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'
import { openSqlite } from '../store'
import { startWorker } from '../workers'
import { EMPTY_ROOT } from './merkle'
import { foldRoot, pushNode, scanRange, type Border, type ScanResult, type ScanTask } from './scan'
import { checkHeadSignature, Failure, headMismatch, removedFromEnd, treeMismatch, type HeadToCheck, type VerifyProblem, type VerifyReport } from './verify'

export interface LiveVerifyInput {
  /** The database file; workers open their own read-only connections to it. */
  file: string
  /** Entries to check: [0, total). Rows are append-only, so this range is stable while appends go on. */
  total: number
  heads: HeadToCheck[]
  keys: Map<string, { origin: string; publicKey: Uint8Array }>
  expectedRoot?: Buffer
  onProgress?: (done: number, total: number) => void
  /** log2 of the entries per range (default 16: 65,536). */
  rangeLevel?: number
  /** Worker threads; 0 scans in this thread. Default: one per core (at most 4), none for small logs. */
  workers?: number
}

const SMALL_LOG = 100_000

export async function verifyLiveLog(input: LiveVerifyInput): Promise<VerifyReport> {
  const started = performance.now()
  const fast = await verifyPass(input, true)
  if (fast.ok) return fast
  // Something does not match: look again with the canonical form built in JavaScript, which is the
  // definition, so that the verdict and the entry it names never rest on SQLite's rendering.
  const exact = await verifyPass(input, false)
  return { ...exact, durationMs: Math.round(performance.now() - started) }
}

async function verifyPass(input: LiveVerifyInput, textFromSql: boolean): Promise<VerifyReport> {
  const started = performance.now()
  const heads = [...input.heads].sort((a, b) => a.size - b.size || (a.id ?? 0) - (b.id ?? 0))
  const rangeSize = 2 ** (input.rangeLevel ?? 16)
  const workerCount = input.workers ?? (input.total < SMALL_LOG ? 0 : Math.min(4, availableParallelism()))
  const scanner = new RangeScanner(input.file, workerCount)
  let border: Border = []
  let checked = 0
  const report = (problem?: VerifyProblem): VerifyReport => ({
    ok: !problem,
    entries: checked,
    heads: heads.length,
    rootHash: foldRoot(border, EMPTY_ROOT).toString('base64'),
    keyFingerprints: [...new Set(heads.map((h) => h.keyFingerprint))],
    ...(problem ? { problem } : {}),
    durationMs: Math.round(performance.now() - started),
  })
  try {
    for (const head of heads) checkHeadSignature(head, input.keys)
    for (const head of heads) if (head.size === 0 && head.rootHash !== EMPTY_ROOT.toString('base64')) throw await namedHeadMismatch(head, scanner, input.total, rangeSize)

    const tasks: ScanTask[] = []
    for (let from = 0; from < input.total; from += rangeSize) {
      const to = Math.min(from + rangeSize, input.total)
      tasks.push({ from, to, cuts: heads.filter((h) => h.size > from && h.size <= to).map((h) => h.size), textFromSql })
    }
    let done = 0
    const results = await scanner.scanAll(tasks, (r) => input.onProgress?.((done += r.scanned), input.total))

    for (const [i, task] of tasks.entries()) {
      const result = results[i]
      for (const head of heads) {
        if (head.size <= task.from || head.size > task.to) continue
        const cut = result.cuts.find(([size]) => size === head.size)
        if (!cut) break // the range stopped at a problem before this head
        if (foldRoot([...border, ...cut[1]], EMPTY_ROOT).toString('base64') !== head.rootHash) throw await namedHeadMismatch(head, scanner, input.total, rangeSize)
      }
      checked = task.from + result.scanned
      if (result.problem) throw new Failure(result.problem)
      border = join(border, result.end)
    }

    if (input.expectedRoot && !foldRoot(border, EMPTY_ROOT).equals(input.expectedRoot)) {
      throw treeMismatch(await findChanged(scanner, input.total, rangeSize))
    }
    const beyond = heads.find((h) => h.size > input.total)
    if (beyond) throw removedFromEnd(beyond, input.total)
    input.onProgress?.(input.total, input.total)
    return report()
  } catch (err) {
    if (err instanceof Failure) return report(err.problem)
    throw err
  } finally {
    await scanner.close()
  }
}

/** Append the border of the next aligned range: its subtrees are no larger than ours, so they merge in. */
function join(border: Border, next: Border): Border {
  const joined = border.slice()
  for (const node of next) pushNode(joined, node.level, node.hash)
  return joined
}

async function namedHeadMismatch(head: HeadToCheck, scanner: RangeScanner, size: number, rangeSize: number): Promise<Failure> {
  return headMismatch(head, await findChanged(scanner, Math.min(head.size, size), rangeSize))
}

/** The naming pass: the first entry whose hash differs from the leaf recorded when it was appended. */
async function findChanged(scanner: RangeScanner, size: number, rangeSize: number): Promise<number | null> {
  const tasks: ScanTask[] = []
  for (let from = 0; from < size; from += rangeSize) tasks.push({ from, to: Math.min(from + rangeSize, size), cuts: [], compareRecorded: true })
  const results = await scanner.scanAll(tasks)
  for (const r of results) if (r.changedSeq !== undefined) return r.changedSeq
  return null
}

/** Runs scan tasks on a few worker threads (or in this thread), each idle worker taking the next task. */
class RangeScanner {
  private readonly workers: Worker[] = []
  private local?: Database.Database

  constructor(
    private readonly file: string,
    workerCount: number,
  ) {
    for (let i = 0; i < workerCount; i++) {
      const worker = startWorker('audit-scan-worker', { workerData: { file } })
      // An 'error' with no listener would be thrown out of the event loop and end the process; a
      // worker that failed is reported by the task it was given (runOn), or by the next one.
      worker.on('error', () => {})
      this.workers.push(worker)
    }
  }

  async scanAll(tasks: ScanTask[], onResult?: (r: ScanResult) => void): Promise<ScanResult[]> {
    const results: ScanResult[] = new Array(tasks.length)
    if (this.workers.length === 0) {
      this.local ??= openSqlite(this.file, { readonly: true, fileMustExist: true })
      for (const [i, task] of tasks.entries()) {
        results[i] = scanRange(this.local, task)
        onResult?.(results[i])
        await new Promise((resolve) => setImmediate(resolve)) // let progress events out
      }
      return results
    }
    let next = 0
    await Promise.all(
      this.workers.map(async (worker) => {
        while (next < tasks.length) {
          const i = next++
          results[i] = await runOn(worker, i, tasks[i])
          onResult?.(results[i])
        }
      }),
    )
    return results
  }

  async close(): Promise<void> {
    this.local?.close()
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}

function runOn(worker: Worker, id: number, task: ScanTask): Promise<ScanResult> {
  return new Promise((resolve, reject) => {
    // A worker that has already stopped would never answer.
    if (worker.threadId < 0) return reject(new Error('audit scan worker stopped'))
    const onMessage = (message: { id: number; result?: ScanResult; error?: string }) => {
      if (message.id !== id) return
      cleanup()
      if (message.error !== undefined) reject(new Error(`audit scan failed: ${message.error}`))
      else resolve(revive(message.result!))
    }
    const onError = (err: Error) => {
      cleanup()
      reject(err)
    }
    const onExit = (code: number) => {
      cleanup()
      reject(new Error(`audit scan worker stopped (exit code ${code})`))
    }
    const cleanup = () => {
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
    }
    worker.on('message', onMessage)
    worker.once('error', onError)
    worker.once('exit', onExit)
    worker.postMessage({ ...task, id })
  })
}

/** Buffers cross the thread boundary as plain Uint8Arrays; make them Buffers again. */
function revive(result: ScanResult): ScanResult {
  const border = (b: Border): Border => b.map((n) => ({ level: n.level, hash: Buffer.from(n.hash.buffer, n.hash.byteOffset, n.hash.byteLength) }))
  return { ...result, end: border(result.end), cuts: result.cuts.map(([size, b]) => [size, border(b)]) }
}
