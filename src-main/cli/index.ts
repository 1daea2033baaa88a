/**
 * `dwcp`: the command line over the same host as the app. Every command goes through the contract
 * (validated like any other call) with transport 'cli'.
 */
import { Command, CommanderError } from 'commander'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { CallOutput } from '../api/contract'
import { loadOrCreateToken } from '../api/auth'
import { ApiError } from '../api/errors'
import { startServer } from '../api/server'
import { createHost, knownSchema } from '../host'
import { defaultHome, projectRoot } from '../paths'
import { DEFAULT_AGENT_PORT, PROTOCOL_VERSIONS } from '../protocol'
import { restoreIntoDamagedHome, StoreCorruptError } from '../store'
import { PRODUCT_VERSION } from '../version'
import { installProcessGuard } from '../process-guard'
import { asPath, call, printJson, withHost } from './shared'
import { registerWasmCommands } from './wasm'
import { registerReleaseCommands } from './release'
import { registerOrchestratorCommands } from './orchestrator'
import { registerProtocolCommands } from './protocol'
import { registerIntentCommands, registerLlmCommands } from './intent'
import { formatAuditEntry, formatAuditReport, formatBackup, formatBytes, formatVerdict } from './format'
import { localAuditFingerprint, verifyBundleFile } from '../audit'

export function buildProgram(): Command {
  const program = new Command('dwcp')
  program
    .description('DWCP Console: operate edge devices and cloud nodes. The same engines as the desktop app, without a window.')
    .version(`dwcp ${PRODUCT_VERSION} (protocol ${PROTOCOL_VERSIONS.join(', ')})`, '-V, --version', 'print the product version and the protocol versions it speaks')
    .showHelpAfterError('(run dwcp --help for the list of commands)')
    .addHelpText('after', `\nData folder: ${defaultHome()} (set DWCP_HOME to use another)`)

  program
    .command('serve')
    .description('run the host headless: REST + WebSocket API and the browser UI')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 0)
    .option('--open', 'open the sign-in link in a browser, when there is a display')
    .option('--agent-host <address>', 'address edge agents connect to (default: --host)')
    .option('--agent-port <n>', 'port edge agents connect to (0 picks a free one)', parsePort, DEFAULT_AGENT_PORT)
    .option('--allow-host <name>', 'also answer requests addressed to this host name (repeatable; also DWCP_ALLOW_HOSTS, comma-separated); others are refused against DNS rebinding', collect, [])
    .option('--session-idle-minutes <n>', 'end a browser session unused this long (also DWCP_SESSION_IDLE_MINUTES)', parseMinutes, undefined)
    .action(async (opts: { host: string; port: number; open?: boolean; agentHost?: string; agentPort: number; allowHost: string[]; sessionIdleMinutes?: number }) => {
      const host = createHost({ home: defaultHome(), shell: 'server' })
      const allowHosts = [...opts.allowHost, ...(process.env.DWCP_ALLOW_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean)]
      const idleMinutes = opts.sessionIdleMinutes ?? (process.env.DWCP_SESSION_IDLE_MINUTES ? parseMinutes(process.env.DWCP_SESSION_IDLE_MINUTES) : undefined)
      const server = await startServer(host, { host: opts.host, port: opts.port, rendererDir: join(projectRoot(), 'out', 'renderer'), allowHosts, ...(idleMinutes ? { sessionIdleMs: idleMinutes * 60_000 } : {}) })
      installProcessGuard({ name: 'dwcp serve', home: host.home, logger: () => host.log, close: async () => (await server.close(), await host.close()) })
      const agents = await host.protocol.listen(opts.agentHost ?? opts.host, opts.agentPort).catch((err: Error) => {
        process.stderr.write(`warning: not listening for agents on port ${opts.agentPort}: ${err.message} (choose another with --agent-port)\n`)
        return null
      })
      const login = server.loginUrl()
      // The first line is the URL alone, for scripts and tests that start the server.
      process.stdout.write(`${server.url}\n`)
      process.stdout.write(`Open DWCP Console in a browser (one-time sign-in link): ${login}\n`)
      process.stdout.write(`API clients: Authorization: Bearer <token>, printed by \`dwcp token\`. Data folder: ${host.home}. Ctrl+C stops.\n`)
      if (agents) process.stdout.write(`agents: dwcp://${agents.host}:${agents.port} (dwcp agent --console ${agents.host}:${agents.port} --token $(dwcp protocol token) --name NAME)\n`)
      if (!isLoopback(opts.host)) process.stderr.write(`warning: listening on ${opts.host}: anyone who can reach it and has the token gets a shell through the terminal\n`)
      if (opts.open) openInBrowser(login)
      const stop = async () => {
        await server.close()
        await host.close()
        process.exit(0)
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })

  program
    .command('token')
    .description('print the API token of this installation (made at first run)')
    .action(() => {
      process.stdout.write(loadOrCreateToken(ensureHome()) + '\n')
    })

  program
    .command('info')
    .description('show the data folder, runtime and the state of each engine')
    .option('--json', 'one JSON object')
    .action((opts: { json?: boolean }) =>
      withHost(async (host) => {
        const info = await call(host, 'system.info', {})
        if (opts.json) return printJson(info)
        process.stdout.write(`${info.product} ${info.version} — data folder ${info.dataDir}\n`)
        for (const e of info.engines) process.stdout.write(`  ${e.ready ? 'ready  ' : 'not yet'}  ${e.name.padEnd(16)} ${e.detail}${e.issue ? ` (issue #${e.issue})` : ''}\n`)
      }),
    )

  const backup = program.command('backup').description('back up, list, verify and restore the whole state')
  backup
    .command('create [file]')
    .description('back up the whole state (SQLite online backup); default: a new file in the data folder’s backups/')
    .option('--json', 'print the result as JSON')
    .action((file: string | undefined, opts: { json?: boolean }) =>
      withHost(async (host) => {
        const info = await call(host, 'backup.create', { ...(file ? { file: asPath(file) } : {}), reason: 'dwcp backup create' })
        if (opts.json) printJson(info)
        else process.stdout.write(`Backed up to ${info.file} (${formatBytes(info.sizeBytes)}, sha256 ${info.sha256?.slice(0, 16)}…)\n`)
      }),
    )
  backup
    .command('list')
    .description('list the backups in the data folder, newest first')
    .option('--json', 'print the list as JSON')
    .action((opts: { json?: boolean }) =>
      withHost(async (host) => {
        const list = await call(host, 'backup.list', {})
        if (opts.json) return printJson(list)
        if (list.length === 0) return void process.stdout.write(`No backups yet in ${host.store.backupsDir}. Make one with: dwcp backup create\n`)
        for (const b of list) process.stdout.write(formatBackup(b) + '\n')
      }),
    )
  backup
    .command('verify <file>')
    .description('check a backup: checksum, SQLite integrity, DWCP schema this version can restore')
    .option('--json', 'print the verdict as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const verdict = await withHost((host) => call(host, 'backup.verify', { file: asPath(file) }))
      if (opts.json) printJson(verdict)
      else process.stdout.write(formatVerdict(verdict) + '\n')
      if (!verdict.ok) process.exitCode = 1
    })
  backup
    .command('restore <file>')
    .description('replace the whole state with a backup (verified first; the current state is kept as a backup)')
    .option('--allow-shorter-history', 'when the database is damaged, restore even a backup whose audit log is shorter than this installation’s was (recorded in the audit log)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { json?: boolean; allowShorterHistory?: boolean }) => {
      const result = await restore(asPath(file), opts.allowShorterHistory === true)
      if (opts.json) return printJson(result)
      process.stdout.write(`Restored ${result.restoredFrom}.\n`)
      if (result.previousStateSavedTo) process.stdout.write(`The previous state was kept at ${result.previousStateSavedTo}.\n`)
    })

  registerAuditCommands(program)
  registerReleaseCommands(program)
  registerOrchestratorCommands(program)
  registerProtocolCommands(program)
  registerIntentCommands(program)
  registerLlmCommands(program)
  return program
}

function auditFilterOptions(command: Command): Command {
  return command
    .option('--from <time>', 'entries at or after this ISO 8601 time')
    .option('--to <time>', 'entries at or before this ISO 8601 time')
    .option('--actor <actor>', 'only this actor (user, system, agent:NAME)')
    .option('--action <action>', 'only this action')
    .option('--safety <level>', 'only this safety level (safe, caution, dangerous, critical)')
    .option('--outcome <outcome>', 'only this outcome (ok, failed, declined, …)')
    .option('--text <words>', 'full-text search over action, target and details')
}

type FilterOptions = { from?: string; to?: string; actor?: string; action?: string; safety?: string; outcome?: string; text?: string }

function filterFrom(opts: FilterOptions): Record<string, string> {
  const filter: Record<string, string> = {}
  for (const key of ['from', 'to', 'actor', 'action', 'safety', 'outcome', 'text'] as const) if (opts[key] !== undefined) filter[key] = opts[key]!
  return filter
}

function registerAuditCommands(program: Command): void {
  registerWasmCommands(program)

  const audit = program.command('audit').description('the tamper-evident audit log: list, verify, export and review bundles')

  audit
    .command('status')
    .description('size, root hash, signing key and latest signed head')
    .option('--json', 'one JSON object')
    .action((opts: { json?: boolean }) =>
      withHost(async (host) => {
        const status = await call(host, 'audit.status', {})
        if (opts.json) return printJson(status)
        process.stdout.write(`${status.size} entries · root ${status.rootHash}\nkey ${status.keyFingerprint} (${status.origin})\n`)
        process.stdout.write(status.latestHead ? `latest signed head: ${status.latestHead.size} entries at ${status.latestHead.madeAt} (${status.latestHead.reason})\n` : 'no signed head yet\n')
      }),
    )

  auditFilterOptions(audit.command('list').description('entries, newest first'))
    .option('--limit <n>', 'how many', (v) => Number(v), 50)
    .option('--json', 'one JSON line per entry')
    .action((opts: FilterOptions & { limit: number; json?: boolean }) =>
      withHost(async (host) => {
        const entries = await call(host, 'audit.query', { filter: filterFrom(opts), limit: opts.limit })
        for (const e of entries) process.stdout.write(opts.json ? JSON.stringify(e) + '\n' : formatAuditEntry(e) + '\n')
      }),
    )

  audit
    .command('verify [bundle]')
    .description('verify the live log (every entry, every signed head), or a bundle file offline')
    .option('--json', 'print the report as JSON')
    .action(async (bundle: string | undefined, opts: { json?: boolean }) => {
      const report = bundle ? await verifyBundleOffline(bundle) : await withHost((host) => call(host, 'audit.verify', {}))
      const verdict = 'verdict' in report ? report.verdict : report
      if (opts.json) printJson(report)
      else process.stdout.write(formatAuditReport(report) + '\n')
      if (!verdict.ok) process.exitCode = 1
    })

  auditFilterOptions(audit.command('export <file>').description('write a self-contained bundle that verifies on any machine with this CLI'))
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: FilterOptions & { json?: boolean }) =>
      withHost(async (host) => {
        const result = await call(host, 'audit.export', { file: asPath(file), filter: filterFrom(opts) })
        if (opts.json) return printJson(result)
        process.stdout.write(`Exported ${result.entries} ${result.complete ? '(all)' : 'matching'} entries to ${result.file} (${formatBytes(result.bytes)}). Check it anywhere with: dwcp audit verify ${result.file}\n`)
      }),
    )

  audit
    .command('open <bundle>')
    .description('verify a bundle and list its entries for review (read-only)')
    .option('--json', 'print the review as JSON')
    .action(async (bundle: string, opts: { json?: boolean }) => {
      const review = await verifyBundleOffline(bundle)
      if (opts.json) return printJson(review)
      process.stdout.write(formatAuditReport(review) + '\n\n')
      for (const e of review.entries) process.stdout.write(formatAuditEntry(e) + '\n')
      if (review.entryCount > review.entries.length) process.stdout.write(`… and ${review.entryCount - review.entries.length} more (use --json for all that were kept)\n`)
      if (!review.verdict.ok) process.exitCode = 1
    })

  audit
    .command('proof <seq>')
    .description('the inclusion proof of one entry against the latest signed head')
    .action((seq: string) =>
      withHost(async (host) => printJson(await call(host, 'audit.proof', { seq: Number(seq) }))),
    )

  audit
    .command('sign')
    .description('sign the current tree head now')
    .action(() =>
      withHost(async (host) => {
        const head = await call(host, 'audit.sign', {})
        process.stdout.write(head.note)
      }),
    )
}

/**
 * Verify a bundle with nothing but the file: no data folder is created. When this machine has an
 * installation, say whether the bundle was signed by it.
 */
async function verifyBundleOffline(file: string) {
  const review = await verifyBundleFile(asPath(file))
  const local = localAuditFingerprint()
  return { file, ...review, fromThisInstallation: local !== undefined && local === review.keyFingerprint }
}

/**
 * A restore must work even when the live database is too damaged to open: that is when it is needed
 * most. It never rolls the audit history back unless told to, and is itself recorded in the log.
 */
async function restore(file: string, allowShorterHistory: boolean): Promise<CallOutput<'backup.restore'>> {
  try {
    return await withHost((host) => call(host, 'backup.restore', { file }))
  } catch (err) {
    if (!(err instanceof StoreCorruptError)) throw err
    const result = await restoreIntoDamagedHome(defaultHome(), file, knownSchema(), { allowShorterHistory })
    process.stderr.write(`The current database could not be opened (${err.reason}); it was moved aside${result.previousStateSavedTo ? ` to ${result.previousStateSavedTo}` : ''}, not deleted.\n`)
    const history = result.history
    if (history?.shortened) process.stderr.write(`warning: the audit log now has ${history.after} entries; it had ${history.before}. The restore is recorded.\n`)
    await withHost(async (host) => {
      host.audit.record({
        actor: 'user',
        action: 'backup.restore',
        target: file,
        safety: 'dangerous',
        outcome: 'ok',
        details: { intoDamagedFolder: true, reason: err.reason, previousStateSavedTo: result.previousStateSavedTo, entriesBefore: history?.before ?? null, entriesRestored: history?.after ?? null, carriedOver: history?.carriedOver ?? 0, allowShorterHistory, historyShortened: history?.shortened ?? false, via: 'cli' },
      })
    })
    return result
  }
}

function ensureHome(): string {
  const home = defaultHome()
  if (!existsSync(home)) createHost({ home, shell: 'cli' }).close()
  return home
}

function parsePort(value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CommanderError(2, 'dwcp.port', `--port must be a whole number from 0 to 65535, not ${value}`)
  return port
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Minutes, fractions allowed (0.05 = 3 s, for tests of an expiring session). */
function parseMinutes(value: string): number {
  const minutes = Number(value)
  if (!Number.isFinite(minutes) || minutes <= 0) throw new CommanderError(2, 'dwcp.minutes', `--session-idle-minutes must be a positive number of minutes, not ${value}`)
  return minutes
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.')
}

function openInBrowser(url: string): void {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    process.stdout.write('No display here: open the link above in a browser on this machine.\n')
    return
  }
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true })
  child.on('error', () => process.stdout.write(`Could not start ${opener}: open the link above yourself.\n`))
  child.unref()
}

/** Run the CLI; errors become one clear line and a non-zero exit, never a stack trace. */
export async function main(argv = process.argv): Promise<void> {
  const program = buildProgram().exitOverride()
  // `dwcp … | head` closes the pipe early: that is the reader being done, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw err
  })
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return
      if (err.code === 'dwcp.port' || err.code === 'dwcp.usage') process.stderr.write(`dwcp: ${err.message}\n`)
      process.exitCode = err.exitCode || 2
      return
    }
    process.stderr.write(`dwcp: ${describeError(err)}\n`)
    process.exitCode = 1
  }
}

function describeError(err: unknown): string {
  if (err instanceof ApiError && err.issues?.length) return `${err.message}\n${err.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`
  return err instanceof Error ? err.message : String(err)
}
