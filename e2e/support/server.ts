import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The `dwcp` launcher a user runs. */
export const launcher = fileURLToPath(new URL('../../src-main/cli/dwcp.mjs', import.meta.url))

/** Run the real `dwcp` CLI against an installation; its output, or an error with what it printed on stderr. */
export function dwcp(home: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [launcher, ...args], { env: { ...process.env, DWCP_HOME: home }, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`dwcp ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

export interface ServeProcess {
  home: string
  url: string
  loginUrl: string
  /** Where edge agents connect: `host:port`. */
  agentAddress: string
  child: ChildProcess
  stop(): Promise<void>
}

/** Start `dwcp serve` on free ports (HTTP and agents) with a fresh data folder, the way a user would. */
export async function startServe(options: { home?: string } = {}): Promise<ServeProcess> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'dwcp-e2e-'))
  const child = spawn(process.execPath, [launcher, 'serve', '--port', '0', '--agent-port', '0'], { env: { ...process.env, DWCP_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr!.on('data', (d) => (err += d))
  const lines = await new Promise<string[]>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      const lines = out.split('\n')
      if (lines.length >= 5) resolve(lines) // four lines, the last one with its newline
    })
    child.once('exit', (code) => reject(new Error(`dwcp serve exited with ${code}: ${err}`)))
    setTimeout(() => reject(new Error(`dwcp serve printed nothing in 60 s: ${err}`)), 60_000)
  })
  const url = lines[0]
  const loginUrl = /(http:\/\/\S+\/login\?code=\S+)/.exec(lines[1])?.[1]
  if (!loginUrl) throw new Error(`no sign-in link in: ${lines[1]}`)
  const agentAddress = /^agents: dwcp:\/\/(\S+)/.exec(lines[3])?.[1]
  if (!agentAddress) throw new Error(`no agent address in: ${lines[3]}`)
  return {
    home,
    url,
    loginUrl,
    agentAddress,
    child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await new Promise((r) => child.once('exit', r))
      }
      rmSync(home, { recursive: true, force: true })
    },
  }
}
