// `npm start`: build, then open the desktop window. Where Electron cannot run (its binary could not
// be downloaded, or there is no display), say so in one line and point at `npm run serve`.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { findElectron } from './electron-binary.mjs'
import { electronBuildPath, rebuildForElectron } from './rebuild-electron.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const fallback = 'run `npm run serve` to open the same UI in a browser.'

const electron = findElectron()
if ('missing' in electron) {
  console.log(`npm start: cannot open the desktop window: ${electron.missing}; ${fallback}`)
  process.exit(0)
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  console.log(`npm start: there is no display here (DISPLAY is not set); ${fallback}`)
  process.exit(0)
}

const build = spawnSync(process.execPath, [fileURLToPath(new URL('./build.mjs', import.meta.url))], { cwd: root, stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)

if (!existsSync(electronBuildPath(electron.version))) {
  try {
    console.log(`Building the SQLite driver for Electron ${electron.version} (once)…`)
    rebuildForElectron(electron.version)
  } catch (err) {
    console.log(`npm start: ${err.message}; ${fallback}`)
    process.exit(0)
  }
}

const env = { ...process.env }
delete env.ELECTRON_RUN_AS_NODE
const child = spawn(electron.path, [root], { cwd: root, stdio: 'inherit', env })
child.on('exit', (code) => process.exit(code ?? 0))
