/** Worker thread: scans ranges of the audit log on its own read-only connection (see scan.ts). */
import { parentPort, workerData } from 'node:worker_threads'
import { openSqlite } from '../store'
import { scanRange, type ScanTask } from './scan'

const db = openSqlite((workerData as { file: string }).file, { readonly: true, fileMustExist: true })
parentPort!.on('message', (task: ScanTask & { id: number }) => {
  try {
    parentPort!.postMessage({ id: task.id, result: scanRange(db, task) })
  } catch (err) {
    parentPort!.postMessage({ id: task.id, error: (err as Error).message })
  }
})
