// Build main, preload and renderer into out/ (electron-vite), quietly unless something fails.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const cli = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
const result = spawnSync(process.execPath, [cli, 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' })
process.exit(result.status ?? 1)
