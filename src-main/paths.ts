import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The data folder shared by the desktop app, `dwcp serve` and the CLI, so all three see one state.
 * DWCP_HOME overrides it; otherwise the platform's per-user application-data folder, the same one
 * Electron's app.getPath('userData') gives for this app's name.
 */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DWCP_HOME) return env.DWCP_HOME
  const home = homedir()
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'dwcp-console')
  if (process.platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'dwcp-console')
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'dwcp-console')
}

/**
 * The installation's root folder (where package.json is). Found by walking up from this module,
 * because the same code runs from src-main/ under tests and bundled from out/main/ in the app.
 */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'dwcp-console') return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find the DWCP Console installation folder (package.json)')
    dir = parent
  }
}

/** The `dwcp` launcher of this installation. */
export function cliLauncher(): string {
  return join(projectRoot(), 'src-main', 'cli', 'dwcp.mjs')
}
