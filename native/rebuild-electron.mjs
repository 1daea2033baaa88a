// Build better-sqlite3 for Electron's ABI into native/electron-build/electron-<version>/, leaving the
// Node build in node_modules untouched (tests and the CLI use that one). better-sqlite3 is a NAN addon,
// so each runtime needs its own build. Needs Electron's headers, which node-gyp downloads: run it on a
// machine with internet (`npm start` runs it when the Electron build is missing).
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))

export function electronBuildPath(version) {
  return join(root, 'native', 'electron-build', `electron-${version}`, 'better_sqlite3.node')
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp
  const npmDir = process.env.npm_execpath ? dirname(dirname(process.env.npm_execpath)) : '/usr/lib/node_modules/npm'
  return join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
}

export function rebuildForElectron(version) {
  const source = dirname(require.resolve('better-sqlite3/package.json'))
  const work = mkdtempSync(join(tmpdir(), 'dwcp-sqlite-electron-'))
  try {
    cpSync(source, work, { recursive: true, filter: (p) => !p.includes(`${source}/build`) })
    const env = { ...process.env }
    // A nodedir in npm's config would point node-gyp at Node's headers instead of Electron's.
    for (const key of Object.keys(env)) if (key.toLowerCase() === 'npm_config_nodedir') delete env[key]
    const result = spawnSync(process.execPath, [nodeGyp(), 'rebuild', '--release', `--target=${version}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'], { cwd: work, env, stdio: 'inherit' })
    if (result.status !== 0) throw new Error(`node-gyp could not build better-sqlite3 for Electron ${version} (it needs Electron's headers from the internet)`)
    const target = electronBuildPath(version)
    mkdirSync(dirname(target), { recursive: true })
    cpSync(join(work, 'build', 'Release', 'better_sqlite3.node'), target)
    return target
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const version = process.argv[2] ?? JSON.parse((await import('node:fs')).readFileSync(require.resolve('electron/package.json'), 'utf8')).version
  console.log(`Built ${rebuildForElectron(version)}`)
}
