// Build main, preload and renderer into out/ (electron-vite), quietly unless something fails.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const cli = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
// The bundled WebAssembly workloads first, when their sources changed (and the tools are installed).
const { buildWasm, buildComponents } = await import('./build-wasm.mjs')
await buildWasm()
await buildComponents()

const result = spawnSync(process.execPath, [cli, 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' })
process.exit(result.status ?? 1)
