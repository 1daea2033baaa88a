// Where Electron's binary is, or why there is none. Shared by `npm start` and the _electron e2e test.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/** @returns {{ path: string, version: string } | { missing: string }} */
export function findElectron() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const dir = process.env.ELECTRON_OVERRIDE_DIST_PATH
    const candidates = [join(dir, 'electron'), join(dir, 'Electron.app', 'Contents', 'MacOS', 'Electron'), join(dir, 'electron.exe')]
    const path = candidates.find((c) => existsSync(c))
    if (!path) return { missing: `ELECTRON_OVERRIDE_DIST_PATH=${dir} holds no Electron binary` }
    return { path, version: electronPackageVersion() ?? 'unknown' }
  }
  let packageJson
  try {
    packageJson = require.resolve('electron/package.json')
  } catch {
    return { missing: 'the electron package is not installed (its binary could not be downloaded during npm install)' }
  }
  const dir = dirname(packageJson)
  const pathFile = join(dir, 'path.txt')
  if (!existsSync(pathFile)) return { missing: "Electron's binary was not downloaded (no internet during npm install, or ELECTRON_SKIP_BINARY_DOWNLOAD was set)" }
  const path = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim())
  if (!existsSync(path)) return { missing: `Electron's binary is missing at ${path}` }
  return { path, version: electronPackageVersion() }
}

function electronPackageVersion() {
  try {
    return JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version
  } catch {
    return undefined
  }
}
