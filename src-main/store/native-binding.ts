import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../paths'

/**
 * better-sqlite3 is a NAN addon, so Node and Electron need separate builds of it. Tests and the
 * CLI use the Node build that npm compiled in node_modules; inside Electron we load the build that
 * `native/rebuild-electron.mjs` made for Electron's ABI. This is the one place that chooses.
 */
export function sqliteNativeBinding(): string | undefined {
  if (!process.versions.electron) return undefined
  const candidates = [
    process.env.DWCP_SQLITE_BINDING,
    join(projectRoot(), 'native', 'electron-build', `electron-${process.versions.electron}`, 'better_sqlite3.node'),
  ]
  return candidates.find((c): c is string => !!c && existsSync(c))
}
