import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'
import { projectRoot } from './paths'
import { WORKER_ENTRIES, type WorkerName } from './worker-entries'

export { WORKER_ENTRIES, type WorkerName } from './worker-entries'

/** Running from TypeScript sources (vitest, tsx) rather than from the bundle in out/main. */
const fromSource = import.meta.url.endsWith('.ts')

/**
 * Start one of our worker threads: from the bundle when the app is built, from its TypeScript source
 * under tests and benchmarks. Node 20 does not carry module hooks (tsx's `--import`) into workers, so
 * a source worker starts with a one-line bootstrap that loads the entry through tsx's API.
 */
export function startWorker(name: WorkerName, options: WorkerOptions = {}): Worker {
  const root = projectRoot()
  if (!fromSource) return new Worker(join(root, 'out', 'main', `${name}.js`), options)
  const tsxApi = pathToFileURL(tsxEsmApi(root)).href
  const entry = pathToFileURL(join(root, WORKER_ENTRIES[name])).href
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`
  return new Worker(bootstrap, { ...options, eval: true })
}

/** The ES-module build of tsx's API (require.resolve would give its CommonJS build). */
function tsxEsmApi(root: string): string {
  const manifest = createRequire(join(root, 'package.json')).resolve('tsx/package.json')
  const exported = JSON.parse(readFileSync(manifest, 'utf8')).exports['./esm/api'].import.default as string
  return join(dirname(manifest), exported)
}
