/** Worker thread: reads and verifies one audit bundle (bundle.ts), away from the thread that answers requests. */
import { parentPort, workerData } from 'node:worker_threads'
import { BundleError, BundleRefusedError, verifyBundle } from './bundle'

const { source } = workerData as { source: string | Uint8Array | { base64: string } }
const input = typeof source === 'string' ? source : source instanceof Uint8Array ? Buffer.from(source.buffer, source.byteOffset, source.byteLength) : Buffer.from(source.base64, 'base64')

verifyBundle(input, (done, total) => parentPort!.postMessage({ progress: { done, total } })).then(
  (review) => parentPort!.postMessage({ review }),
  (err: Error) => parentPort!.postMessage({ error: { message: err.message, refused: err instanceof BundleRefusedError, bundle: err instanceof BundleError } }),
)
