/** `dwcp wasm run|stats`: the WASM pool from the command line. */
import { Command, CommanderError, Option } from 'commander'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { requireFeature } from '../host'
import { withHost } from './shared'

interface RunOptions {
  invoke?: string
  dir: string[]
  env: string[]
  memoryMb?: number
  timeoutMs?: number
  tenant?: string
  input?: string
  json?: boolean
}

export function registerWasmCommands(program: Command): void {
  const wasm = program.command('wasm').description('run WebAssembly in the pool and look at its figures')
  wasm
    .command('run')
    .description('run FILE.wasm (or builtin:NAME): a WASI program with its stdin/stdout/stderr and exit code, or one exported function')
    .argument('<file>', 'a .wasm file, or builtin:hash|transform|http|trivial')
    .argument('[args...]', 'after --: the program’s arguments (WASI), or numbers for --invoke')
    .option('--invoke <fn>', 'call this exported function instead of running _start')
    .option('--dir <HOST_DIR::GUEST_DIR>', 'let the program see a host folder (repeatable)', collect, [])
    .option('--env <K=V>', 'an environment variable for the program (repeatable)', collect, [])
    .addOption(new Option('--memory-mb <n>', 'memory limit').argParser(positive('--memory-mb')))
    .addOption(new Option('--timeout-ms <n>', 'time limit').argParser(positive('--timeout-ms')))
    .option('--tenant <name>', 'tenant to run as (its own workers and instances)')
    .option('--input <file>', 'bytes for a byte workload (hash, transform, http); - for stdin')
    .option('--json', 'print the result as one JSON line')
    .action((file: string, args: string[], opts: RunOptions) =>
      withHost(async (host) => {
        requireFeature(host.release, 'wasm_runtime', opts.tenant ?? 'default')
        const module = file.startsWith('builtin:') ? { builtin: file.slice(8) } : { bytes: new Uint8Array(readFileSync(resolve(file))), name: file.split('/').pop()! }
        const preopens = Object.fromEntries(opts.dir.map(parseDir))
        const env = Object.fromEntries(opts.env.map(parseEnv))
        const input = opts.input ? readFileSync(opts.input === '-' ? 0 : resolve(opts.input)) : undefined
        const callArgs = opts.invoke || ('builtin' in module) ? args.map(parseArgument) : []
        // Straight to the pool rather than through the contract: a WASI program here shares this
        // terminal's stdin/stdout/stderr, which no API call can carry. It is audited the same way.
        const result = await host.wasm.execute({
          module,
          ...(opts.invoke ? { invoke: opts.invoke } : {}),
          ...(callArgs.length ? { args: callArgs } : {}),
          ...(input ? { input: new Uint8Array(input) } : {}),
          ...(!opts.invoke && !input && !('builtin' in module) ? { wasi: { args, env, preopens, stdin: 'inherit' as const, output: opts.json ? ('capture' as const) : ('inherit' as const) } } : {}),
          ...(opts.tenant ? { tenant: opts.tenant } : {}),
          ...(opts.memoryMb ? { memoryMb: opts.memoryMb } : {}),
          ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        })
        host.audit.record({ actor: 'user', action: 'wasm.execute', target: file, outcome: 'ok', details: { tenant: result.tenant, sha256: result.module.sha256, mode: result.mode, exitCode: result.exitCode ?? null, via: 'cli' } })
        if (opts.json) {
          const { output, ...rest } = result
          process.stdout.write(JSON.stringify({ ...rest, ...(output ? { outputBase64: Buffer.from(output).toString('base64') } : {}) }) + '\n')
        } else if (result.mode === 'call') {
          process.stdout.write(`${(result.values ?? []).join(' ')}\n`)
        } else if (result.mode === 'bytes') {
          const out = Buffer.from(result.output ?? new Uint8Array())
          process.stdout.write('builtin' in module && module.builtin === 'hash' ? `${out.toString('hex')}\n` : out)
        }
        // A WASI program's exit code is the command's.
        if (result.mode === 'wasi') process.exitCode = result.exitCode ?? 0
      }),
    )
  wasm
    .command('stats')
    .description('cold and warm starts, latencies, cache hit rate, instances, tenants')
    .option('--json', 'one JSON object')
    .action((opts: { json?: boolean }) =>
      withHost(async (host) => {
        const { limits, ...stats } = host.wasm.stats()
        if (opts.json) return void process.stdout.write(JSON.stringify({ ...stats, limits }) + '\n')
        const us = (v: number | null) => (v === null ? '—' : v >= 1000 ? `${(v / 1000).toFixed(1)} ms` : `${v} µs`)
        process.stdout.write(
          [
            `cold starts  ${stats.coldCalls}  (p50 ${us(stats.coldP50Us)}, p99 ${us(stats.coldP99Us)})`,
            `warm calls   ${stats.warmCalls}  (p50 ${us(stats.warmP50Us)}, p99 ${us(stats.warmP99Us)})`,
            `cache        ${stats.cache.modules} modules, ${(stats.cache.bytes / 1024).toFixed(1)} KiB of ${(stats.cache.maxBytes / 1048576).toFixed(0)} MiB, hit rate ${(stats.cache.hitRate * 100).toFixed(1)} %`,
            `instances    ${stats.activeInstances} in ${stats.workers} workers`,
            `limits       memory ${limits.defaultMemoryMb} MiB by default (at most ${limits.maxMemoryMb}), time ${limits.defaultTimeoutMs} ms by default, ${limits.maxInstancesPerTenant} instances and ${limits.maxConcurrentPerTenant} concurrent calls per tenant`,
            'Each command starts its own pool: these figures cover this process only; `dwcp serve` shows the live ones at GET /v4/wasm/metrics.',
          ].join('\n') + '\n',
        )
      }),
    )
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function parseDir(spec: string): [string, string] {
  const at = spec.indexOf('::')
  if (at <= 0 || at === spec.length - 2) throw new CommanderError(2, 'dwcp.usage', `--dir wants HOST_DIR::GUEST_DIR, not "${spec}"`)
  const guest = spec.slice(at + 2)
  return [guest.startsWith('/') ? guest : `/${guest}`, resolve(spec.slice(0, at))]
}

function parseEnv(spec: string): [string, string] {
  const at = spec.indexOf('=')
  if (at <= 0) throw new CommanderError(2, 'dwcp.usage', `--env wants K=V, not "${spec}"`)
  return [spec.slice(0, at), spec.slice(at + 1)]
}

/** Arguments of --invoke: numbers where they read as numbers, text otherwise (components take strings). */
function parseArgument(value: string): number | string {
  const n = Number(value)
  return value.trim() !== '' && Number.isFinite(n) ? n : value
}

function positive(flag: string) {
  return (value: string) => {
    const n = Number(value)
    if (!(n > 0)) throw new CommanderError(2, 'dwcp.usage', `${flag} must be a positive number, not ${value}`)
    return n
  }
}
