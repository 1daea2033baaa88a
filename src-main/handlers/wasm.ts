/**
 * The WASM pool's calls. Over the API a WASI program may only see folders of its tenant in
 * <data folder>/wasm/files/<tenant>/; the CLI, run by the user on their machine, may name any folder.
 */
import { mkdirSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import type { wasmMethods } from '../api/contracts/wasm'
import type { CallContext, HandlersFor } from '../api/dispatch'
import { ApiError } from '../api/errors'
import { BUILTIN_WORKLOADS, type ExecuteRequest, type ExecuteResult, type ModuleRef, type WasmPool } from '../wasm'
import type { Audited } from './audited'

export function wasmHandlers({ pool, home, audited }: { pool: WasmPool; home: string; audited: Audited }): HandlersFor<keyof typeof wasmMethods> {
  return {
    'wasm.execute': (input, ctx) => {
      const request: ExecuteRequest = {
        module: moduleRef(input.module),
        ...(input.invoke ? { invoke: input.invoke } : {}),
        ...(input.args ? { args: input.args } : {}),
        ...(input.inputBase64 !== undefined ? { input: Buffer.from(input.inputBase64, 'base64') } : {}),
        ...(input.inputText !== undefined ? { input: Buffer.from(input.inputText, 'utf8') } : {}),
        ...(input.wasi
          ? {
              wasi: {
                args: input.wasi.args ?? [],
                env: input.wasi.env ?? {},
                preopens: preopensFor(input.wasi.preopens ?? {}, input.tenant ?? 'default', home, ctx),
                ...(input.wasi.stdinText !== undefined ? { stdin: Buffer.from(input.wasi.stdinText, 'utf8') } : {}),
              },
            }
          : {}),
        ...(input.tenant ? { tenant: input.tenant } : {}),
        ...(input.memoryMb ? { memoryMb: input.memoryMb } : {}),
        ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
        ...(input.fresh ? { fresh: true } : {}),
      }
      const target = 'builtin' in input.module ? `builtin:${input.module.builtin}` : 'sha256' in input.module ? input.module.sha256.slice(0, 16) : (input.module.name ?? 'upload.wasm')
      return audited(ctx, { action: 'wasm.execute', target, details: { tenant: input.tenant ?? 'default', invoke: input.invoke ?? null } }, async () => view(await pool.execute(request)), (r) => ({ sha256: r.module.sha256, mode: r.mode, exitCode: r.exitCode ?? null, cold: r.cold }))
    },
    'wasm.metrics': () => {
      const { limits: _limits, ...stats } = pool.stats()
      return stats
    },
    'wasm.modules': () =>
      pool.cache.list().map((m) => ({
        sha256: m.sha256,
        name: m.name,
        bytes: m.source.length,
        memoryLimitMb: (m.capPages * 65536) / 1048576,
        exports: m.exports,
        imports: m.imports,
        compileMs: m.compileMs,
        hits: m.hits,
        lastUsed: new Date(m.lastUsed).toISOString(),
      })),
    'wasm.builtins': () => BUILTIN_WORKLOADS.map((w) => ({ ...w })),
  }
}

function moduleRef(ref: { builtin: string } | { base64: string; name?: string } | { sha256: string }): ModuleRef {
  if ('base64' in ref) return { bytes: new Uint8Array(Buffer.from(ref.base64, 'base64')), ...(ref.name ? { name: ref.name } : {}) }
  return ref
}

function preopensFor(preopens: Record<string, string>, tenant: string, home: string, ctx: CallContext): Record<string, string> {
  if (ctx.transport === 'cli' || ctx.transport === 'test') return preopens
  const base = join(home, 'wasm', 'files', tenant)
  const out: Record<string, string> = {}
  for (const [guest, host] of Object.entries(preopens)) {
    const dir = resolve(base, host)
    const rel = relative(base, dir)
    if (rel.startsWith('..') || isAbsolute(rel)) throw new ApiError('forbidden', `over the API a program may only see folders in ${base}; "${host}" is outside it`)
    mkdirSync(dir, { recursive: true })
    out[guest] = dir
  }
  return out
}

function view(result: ExecuteResult) {
  const { output, ...rest } = result
  if (!output) return rest
  const buffer = Buffer.from(output.buffer, output.byteOffset, output.byteLength)
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buffer)
  return { ...rest, outputBase64: buffer.toString('base64'), ...(Buffer.from(text, 'utf8').equals(buffer) ? { outputText: text } : {}) }
}
