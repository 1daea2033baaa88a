import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cliLauncher, projectRoot } from '../paths'

/** Run the real `dwcp` launcher (the built CLI) in a data folder. */
export function dwcp(home: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return dwcpWithInput(home, undefined, ...args)
}

/** Start a long-running `dwcp` command and resolve with its first line of output. */
export function dwcpBackground(home: string, ...args: string[]) {
  const child = spawn(process.execPath, [cliLauncher(), ...args], { env: { ...process.env, DWCP_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(out.slice(0, nl))
    })
    child.once('exit', (code) => reject(new Error(`dwcp ${args.join(' ')} exited with ${code}: ${err}`)))
  })
  return { child, firstLine, output: () => out }
}

/** Run `dwcp` with text on its standard input (answers to the questions it asks). */
export function dwcpWithInput(home: string, input: string | undefined, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!existsSync(`${projectRoot()}/out/main/cli.js`)) throw new Error('the CLI is not built: run `npm run build` first (npm test does)')
  const result = spawnSync(process.execPath, [cliLauncher(), ...args], { env: { ...process.env, DWCP_HOME: home }, ...(input === undefined ? {} : { input }), encoding: 'utf8', timeout: 60_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}
