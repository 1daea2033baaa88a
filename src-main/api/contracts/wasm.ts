/** Calls and events of the WASM pool (issue #4). */
import { z } from 'zod'
import { def } from './base'

/** A module sent by value may be a real program of tens of MB: 64 MiB of file, as base64. */
export const MAX_WASM_BASE64_CHARS = Math.ceil((64 * 1024 * 1024) / 3) * 4

const Tenant = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/i, 'tenant names are 1–63 letters, digits, dots, dashes or underscores')
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/i, 'a SHA-256 in hex')

export const WasmModuleRef = z.union([
  z.object({ builtin: z.string().min(1).max(64) }).strict(),
  z.object({ base64: z.string().min(1).max(MAX_WASM_BASE64_CHARS), name: z.string().max(255).optional() }).strict(),
  z.object({ sha256: Sha256 }).strict(),
])

export const WasmExecuteInput = z
  .object({
    module: WasmModuleRef,
    invoke: z.string().min(1).max(255).optional(),
    /** Numbers for a core module's function; a component's functions also take strings. */
    args: z.array(z.union([z.number().finite(), z.string().max(1024 * 1024)])).max(8).optional(),
    /** Bytes for the byte-ABI workloads (hash, transform, http): base64, or text as UTF-8. */
    inputBase64: z.string().max(MAX_WASM_BASE64_CHARS).optional(),
    inputText: z.string().max(16 * 1024 * 1024).optional(),
    wasi: z
      .object({
        args: z.array(z.string().max(4096)).max(256).optional(),
        env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment names are letters, digits and _'), z.string().max(32_768)).optional(),
        /** Guest path → host directory. Over the API, host directories are folders in <data folder>/wasm/files/<tenant>/. */
        preopens: z.record(z.string().max(1024), z.string().max(4096)).optional(),
        stdinText: z.string().max(16 * 1024 * 1024).optional(),
      })
      .strict()
      .optional(),
    tenant: Tenant.optional(),
    memoryMb: z.number().positive().max(4096).optional(),
    timeoutMs: z.number().int().positive().max(600_000).optional(),
    fresh: z.boolean().optional(),
  })
  .strict()
  .refine((v) => !(v.inputBase64 !== undefined && v.inputText !== undefined), 'give inputBase64 or inputText, not both')

export const WasmExecuteResult = z.object({
  tenant: z.string(),
  module: z.object({ sha256: z.string(), name: z.string() }),
  mode: z.enum(['call', 'bytes', 'wasi']),
  invoke: z.string(),
  values: z.array(z.union([z.number(), z.string()])).optional(),
  outputBase64: z.string().optional(),
  /** The output as text, when it is valid UTF-8. */
  outputText: z.string().optional(),
  exitCode: z.number().int().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
  cold: z.boolean(),
  durationUs: z.number(),
})
export type WasmExecuteResult = z.infer<typeof WasmExecuteResult>

export const WasmTenantUsage = z.object({
  name: z.string(),
  workers: z.number().int(),
  instances: z.number().int(),
  running: z.number().int(),
  calls: z.number().int(),
  failures: z.number().int(),
  lastUsed: z.string(),
})

export const WasmMetricsView = z.object({
  coldCalls: z.number().int(),
  warmCalls: z.number().int(),
  failures: z.record(z.string(), z.number().int()),
  coldP50Us: z.number().nullable(),
  coldP99Us: z.number().nullable(),
  warmP50Us: z.number().nullable(),
  warmP99Us: z.number().nullable(),
  activeInstances: z.number().int(),
  workers: z.number().int(),
  cache: z.object({ modules: z.number().int(), bytes: z.number().int(), maxBytes: z.number().int(), hits: z.number().int(), misses: z.number().int(), hitRate: z.number() }),
  tenants: z.array(WasmTenantUsage),
})
export type WasmMetricsView = z.infer<typeof WasmMetricsView>

export const WasmCachedModule = z.object({
  sha256: z.string(),
  name: z.string(),
  bytes: z.number().int(),
  memoryLimitMb: z.number(),
  exports: z.array(z.string()),
  imports: z.array(z.string()),
  compileMs: z.number(),
  hits: z.number().int(),
  lastUsed: z.string(),
})
export type WasmCachedModule = z.infer<typeof WasmCachedModule>

export const WasmBuiltin = z.object({ name: z.string(), description: z.string(), defaultExport: z.string(), bytes: z.boolean() })

export const wasmMethods = {
  'wasm.execute': def({
    summary: 'Run a WebAssembly workload in the pool: a core function, a byte workload or a WASI command',
    input: WasmExecuteInput,
    output: WasmExecuteResult,
    rest: { method: 'POST', path: '/v4/wasm/execute' },
    maxBodyBytes: MAX_WASM_BASE64_CHARS + 64 * 1024,
  }),
  'wasm.metrics': def({
    summary: 'Cold and warm calls with their latencies, cache hit rate, active instances, per-tenant usage',
    input: z.object({}).strict(),
    output: WasmMetricsView,
    rest: { method: 'GET', path: '/v4/wasm/metrics' },
  }),
  'wasm.modules': def({
    summary: 'The compiled modules in the cache, most recently used first',
    input: z.object({}).strict(),
    output: z.array(WasmCachedModule),
    rest: { method: 'GET', path: '/v4/wasm/modules' },
  }),
  'wasm.builtins': def({
    summary: 'The workloads that ship with the app',
    input: z.object({}).strict(),
    output: z.array(WasmBuiltin),
    rest: { method: 'GET', path: '/v4/wasm/builtins' },
  }),
} as const

export const wasmEvents = {} as const
