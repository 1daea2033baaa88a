/**
 * Public face of the terminal engine: shells on real ptys, owned by the client that opened them.
 *
 * Following Bruno's data path, `open` returns an id, output goes only to the owner, and input,
 * resize, ack and close are by id. When a client goes away (window closed, WebSocket dropped) its
 * shells are killed with it, and with each shell every process of its session (process-tree.ts).
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { delimiter, join } from 'node:path'
import { spawnPty } from './pty'
import { TerminalSession, type SessionSink } from './session'

export { takeChunk, MAX_CHUNK, HIGH_WATER, LOW_WATER, BATCH_MS } from './session'

export interface TerminalInfo {
  id: string
  shell: string
  pid: number
  cwd: string
  cols: number
  rows: number
}

export interface TerminalOptions {
  /** Folder put first on the shell's PATH; it holds the `dwcp` launcher. */
  binDir: string
  /** Command line that runs this installation's CLI: the launcher execs it. */
  cliCommand: string[]
  /** Extra environment for every shell (DWCP_HOME). */
  env: Record<string, string>
  /** Where shells start. */
  cwd: string
  /** Shell to run; default: $SHELL, the account's shell, or /bin/sh. */
  shell?: string
}

export class TerminalNotFoundError extends Error {
  constructor(id: string) {
    super(`no terminal ${id} is open for this client`)
    this.name = 'TerminalNotFoundError'
  }
}

interface Entry {
  owner: string
  info: TerminalInfo
  session: TerminalSession
}

export class TerminalService {
  private readonly entries = new Map<string, Entry>()
  private readonly shell: string

  constructor(private readonly options: TerminalOptions) {
    this.shell = options.shell ?? pickShell()
    writeLauncher(options.binDir, options.cliCommand)
  }

  open(owner: string, size: { cols: number; rows: number }, sink: { data(id: string, d: string): void; exit(id: string, code: number, signal?: number): void }): TerminalInfo {
    const id = `t${randomBytes(6).toString('hex')}`
    const cwd = existsSync(this.options.cwd) ? this.options.cwd : '/'
    const pty = spawnPty(this.shell, [], {
      name: 'xterm-256color',
      cols: size.cols,
      rows: size.rows,
      cwd,
      env: this.shellEnv(),
    })
    const sessionSink: SessionSink = {
      data: (d) => sink.data(id, d),
      exit: (code, signal) => {
        this.entries.delete(id)
        sink.exit(id, code, signal)
      },
    }
    const info: TerminalInfo = { id, shell: this.shell, pid: pty.pid, cwd, cols: size.cols, rows: size.rows }
    this.entries.set(id, { owner, info, session: new TerminalSession(pty, sessionSink) })
    return info
  }

  write(owner: string, id: string, data: string): void {
    this.entry(owner, id).session.write(data)
  }

  resize(owner: string, id: string, cols: number, rows: number): void {
    const entry = this.entry(owner, id)
    entry.session.resize(cols, rows)
    entry.info = { ...entry.info, cols, rows }
  }

  ack(owner: string, id: string, chars: number): void {
    this.entry(owner, id).session.ack(chars)
  }

  close(owner: string, id: string): void {
    const entry = this.entry(owner, id)
    this.entries.delete(id)
    entry.session.kill()
  }

  list(owner: string): TerminalInfo[] {
    return [...this.entries.values()].filter((e) => e.owner === owner).map((e) => e.info)
  }

  /** Kill every shell a client opened: its window or connection is gone. */
  closeOwner(owner: string): void {
    for (const [id, entry] of this.entries) {
      if (entry.owner === owner) {
        this.entries.delete(id)
        entry.session.kill()
      }
    }
  }

  /** The app is stopping: no timer would outlive it, so what ignores the hang-up is killed at once. */
  closeAll(): void {
    for (const entry of this.entries.values()) entry.session.kill(0)
    this.entries.clear()
  }

  private entry(owner: string, id: string): Entry {
    const entry = this.entries.get(id)
    if (!entry || entry.owner !== owner) throw new TerminalNotFoundError(id)
    return entry
  }

  private shellEnv(): Record<string, string> {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v
    // Variables that would make a child behave as part of this app rather than as the user's shell.
    delete env.ELECTRON_RUN_AS_NODE
    delete env.ELECTRON_NO_ATTACH_CONSOLE
    return {
      ...env,
      ...this.options.env,
      PATH: [this.options.binDir, env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(delimiter),
      TERM: 'xterm-256color',
      COLORTERM: 'truecolor',
      TERM_PROGRAM: 'dwcp-console',
    }
  }
}

function pickShell(): string {
  const candidates = [process.env.SHELL, safeAccountShell(), '/bin/bash', '/bin/sh']
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? '/bin/sh'
}

function safeAccountShell(): string | undefined {
  try {
    return userInfo().shell ?? undefined
  } catch {
    return undefined
  }
}

/** Write `dwcp` into binDir: a tiny sh script that runs this installation's CLI with the same runtime. */
function writeLauncher(binDir: string, command: string[]): void {
  mkdirSync(binDir, { recursive: true })
  const quoted = command.map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ')
  const script = [
    '#!/bin/sh',
    '# Written by DWCP Console at start-up: runs the dwcp CLI of the app that opened this terminal.',
    // Inside Electron, process.execPath is the Electron binary; this makes it behave as plain Node.
    `ELECTRON_RUN_AS_NODE=1 exec ${quoted} "$@"`,
    '',
  ].join('\n')
  const file = join(binDir, 'dwcp')
  writeFileSync(file, script, { mode: 0o755 })
  chmodSync(file, 0o755)
}
