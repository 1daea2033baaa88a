/**
 * Opening a bundle from someone else: the reading, hashing and signature checks run on a worker
 * thread, so the thread that answers requests (and /v4/health) is never held up by a file, and a
 * worker that runs past its time or memory budget is stopped with a clear refusal.
 */
import { startWorker } from '../workers'
import { BundleError, BundleRefusedError, type BundleReview } from './bundle'

/**
 * A bundle's path, its bytes, or its bytes in base64 as they arrive from the browser: decoding is
 * left to the worker, since on this thread it would hold up every other request for a large upload.
 */
export type BundleSource = string | Buffer | { base64: string }

export interface BundleCheckOptions {
  onProgress?: (done: number, total: number) => void
  /** How long the check may take before it is stopped (default ten minutes: a million entries take well under one). */
  timeBudgetMs?: number
}

const DEFAULT_TIME_BUDGET_MS = 10 * 60_000
/** Bundles checked at once; more wait their turn, so a burst of uploads cannot take every core. */
const CONCURRENT_CHECKS = 2
/** The reader holds at most one line and the entries kept for review; this is generous beyond that. */
const WORKER_HEAP_MB = 768

type WorkerMessage =
  | { progress: { done: number; total: number } }
  | { review: BundleReview }
  | { error: { message: string; refused: boolean; bundle: boolean } }

let running = 0
const waiting: (() => void)[] = []

async function turn(): Promise<() => void> {
  if (running >= CONCURRENT_CHECKS) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  return () => {
    running--
    waiting.shift()?.()
  }
}

/** Verify a bundle (a path, or its bytes) on a worker thread; same verdicts and refusals as verifyBundle. */
export async function verifyBundleOffThread(source: BundleSource, options: BundleCheckOptions = {}): Promise<BundleReview> {
  const done = await turn()
  try {
    return await checkOnWorker(source, options)
  } finally {
    done()
  }
}

function checkOnWorker(source: BundleSource, options: BundleCheckOptions): Promise<BundleReview> {
  const budgetMs = options.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS
  const worker = startWorker('audit-bundle-worker', { workerData: { source }, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } })
  return new Promise<BundleReview>((resolve, reject) => {
    let settled = false
    const settle = (outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      void worker.terminate()
      outcome()
    }
    const timer = setTimeout(() => settle(() => reject(new BundleRefusedError(`checking the bundle took longer than ${Math.round(budgetMs / 1000)} s and was stopped: not an audit bundle from this product, or far larger than any it writes`))), budgetMs)
    worker.on('message', (message: WorkerMessage) => {
      if ('progress' in message) {
        if (!settled) options.onProgress?.(message.progress.done, message.progress.total)
      } else if ('review' in message) settle(() => resolve(message.review))
      else settle(() => reject(message.error.refused ? new BundleRefusedError(message.error.message) : message.error.bundle ? new BundleError(message.error.message) : new Error(message.error.message)))
    })
    worker.on('error', (err: Error & { code?: string }) =>
      settle(() => reject(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new BundleRefusedError(`checking the bundle needs more than ${WORKER_HEAP_MB} MB of memory: not an audit bundle from this product`) : err)),
    )
    worker.on('exit', (code) => settle(() => reject(new Error(`the bundle check stopped unexpectedly (exit code ${code})`))))
  })
}
