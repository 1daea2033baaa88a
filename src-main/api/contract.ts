/**
 * The one API contract of DWCP Console.
 *
 * Every call and every event is named here with a zod schema. The IPC bridge, the preload, the
 * HTTP/WebSocket server, the CLI and the renderer's client are all derived from this file, so a call
 * that validates in one place validates the same way everywhere.
 *
 * Keep this file free of Node and DOM imports: the renderer imports its types.
 */
import { z } from 'zod'
import { def, Empty, SafetyLevel } from './contracts/base'
import { intentEvents, intentMethods, IntentSettingsSchema } from './contracts/intent'
import { orchestratorEvents, orchestratorMethods } from './contracts/orchestrator'
import { protocolEvents, protocolMethods } from './contracts/protocol'
import { releaseEvents, releaseMethods } from './contracts/release'
import { wasmEvents, wasmMethods } from './contracts/wasm'

export { def, Empty, SafetyLevel, type HttpMethod, type MethodDef } from './contracts/base'
export * from './contracts/intent'
export * from './contracts/orchestrator'
export * from './contracts/protocol'
export * from './contracts/release'
export * from './contracts/wasm'

/** A bundle sent by value (the browser's file picker): 128 MiB of base64 = a 96 MiB file, room for ~1.7M entries. */
export const MAX_BUNDLE_BASE64_CHARS = 128 * 1024 * 1024

// ---------------------------------------------------------------------------------------------
// Shared shapes


export const Theme = z.enum(['system', 'light', 'dark'])
export type Theme = z.infer<typeof Theme>

export const EngineId = z.enum(['audit', 'wasm', 'protocol', 'orchestrator', 'release', 'intent', 'terminal', 'store'])
export type EngineId = z.infer<typeof EngineId>

export const EngineStatus = z.object({
  id: EngineId,
  name: z.string(),
  ready: z.boolean(),
  /** What the engine does, or why it is not available yet. */
  detail: z.string(),
  /** Issue that brings the engine, while it is not built. */
  issue: z.number().int().optional(),
})
export type EngineStatus = z.infer<typeof EngineStatus>

export const Health = z.object({
  status: z.literal('ok'),
  product: z.string(),
  version: z.string(),
  protocolVersions: z.array(z.string()),
})
export type Health = z.infer<typeof Health>

export const SystemInfo = Health.extend({
  dataDir: z.string(),
  databaseFile: z.string(),
  /** 'electron' inside the desktop app, 'server' for `dwcp serve`, 'cli' for one-shot commands. */
  shell: z.enum(['electron', 'server', 'cli', 'agent', 'test']),
  platform: z.string(),
  runtime: z.object({ node: z.string(), electron: z.string().optional() }),
  activeProtocolVersion: z.string(),
  engines: z.array(EngineStatus),
})
export type SystemInfo = z.infer<typeof SystemInfo>

export const Settings = z.object({
  theme: Theme,
  dataDir: z.string(),
  /** Whether an Anthropic API key is stored. The key itself never leaves the host. */
  hasApiKey: z.boolean(),
  /** How secrets are protected on this machine. */
  secretStorage: z.enum(['electron-safe-storage', 'file-0600']),
  /** Chat-driven operations: Claude's model and endpoint, and the guardrails' limits. */
  intent: IntentSettingsSchema,
})
export type Settings = z.infer<typeof Settings>

/** Anthropic keys look like `sk-ant-…`; accept any printable token but refuse absurd input. */
const ApiKey = z
  .string()
  .trim()
  .min(20, 'an API key is at least 20 characters')
  .max(512, 'an API key is at most 512 characters')
  .regex(/^[\x21-\x7e]+$/, 'an API key has no spaces or control characters')

/** A backup named by the API: a bare file name inside the data folder's backups/ (the CLI may also give a path). */
const BackupFile = z.string().trim().min(1).max(4096)

export const BackupInfo = z.object({
  file: z.string(),
  name: z.string(),
  createdAt: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string().optional(),
  /** Schema versions of each engine in the backup. */
  schema: z.record(z.string(), z.number().int()),
  reason: z.string().optional(),
})
export type BackupInfo = z.infer<typeof BackupInfo>

export const BackupVerdict = z.object({
  file: z.string(),
  ok: z.boolean(),
  /** Human-readable problems; empty when ok. */
  problems: z.array(z.string()),
  sizeBytes: z.number().int().nonnegative(),
  schema: z.record(z.string(), z.number().int()),
  sha256: z.string().optional(),
})
export type BackupVerdict = z.infer<typeof BackupVerdict>

export const RestoreResult = z.object({
  restoredFrom: z.string(),
  /** Where the state that was replaced was kept, so a restore can itself be undone. */
  previousStateSavedTo: z.string().nullable(),
  schema: z.record(z.string(), z.number().int()),
})
export type RestoreResult = z.infer<typeof RestoreResult>

export const TerminalId = z.string().regex(/^t[0-9a-f]{8,32}$/, 'not a terminal id')
const Cols = z.number().int().min(2).max(1000)
const Rows = z.number().int().min(1).max(500)

export const TerminalInfo = z.object({
  id: TerminalId,
  shell: z.string(),
  pid: z.number().int(),
  cwd: z.string(),
  cols: Cols,
  rows: Rows,
})
export type TerminalInfo = z.infer<typeof TerminalInfo>


export const AuditEntry = z.object({
  seq: z.number().int().nonnegative(),
  time: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  intentId: z.string().nullable(),
  safety: SafetyLevel.nullable(),
  outcome: z.string(),
  /** Canonical JSON text of the details (secrets redacted before they were written). */
  details: z.string(),
})
export type AuditEntry = z.infer<typeof AuditEntry>

const IsoTime = z.string().max(40).refine((t) => !Number.isNaN(Date.parse(t)), 'not a date/time (ISO 8601)')

export const AuditFilter = z
  .object({
    from: IsoTime.optional(),
    to: IsoTime.optional(),
    actor: z.string().max(200).optional(),
    action: z.string().max(200).optional(),
    safety: SafetyLevel.optional(),
    outcome: z.string().max(100).optional(),
    text: z.string().max(500).optional(),
  })
  .strict()
export type AuditFilter = z.infer<typeof AuditFilter>

export const SignedHead = z.object({
  id: z.number().int(),
  size: z.number().int(),
  rootHash: z.string(),
  keyFingerprint: z.string(),
  note: z.string(),
  madeAt: z.string(),
  reason: z.string(),
})
export type SignedHead = z.infer<typeof SignedHead>

export const AuditStatus = z.object({
  size: z.number().int(),
  rootHash: z.string(),
  origin: z.string(),
  keyFingerprint: z.string(),
  latestHead: SignedHead.nullable(),
})
export type AuditStatus = z.infer<typeof AuditStatus>

export const VerifyReport = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  heads: z.number().int(),
  rootHash: z.string(),
  keyFingerprints: z.array(z.string()),
  problem: z.object({ seq: z.number().int().nullable(), headId: z.number().int().optional(), message: z.string() }).optional(),
  durationMs: z.number(),
})
export type VerifyReport = z.infer<typeof VerifyReport>

export const InclusionProof = z.object({
  seq: z.number().int(),
  treeSize: z.number().int(),
  leafHash: z.string(),
  rootHash: z.string(),
  path: z.array(z.string()),
  /** The signed head the proof is against, when the entry is covered by one. */
  head: SignedHead.nullable(),
})
export type InclusionProof = z.infer<typeof InclusionProof>

export const BundleReport = z.object({
  file: z.string(),
  verdict: VerifyReport,
  origin: z.string(),
  keyFingerprint: z.string(),
  /** Whether the bundle was signed by this installation's key. */
  fromThisInstallation: z.boolean(),
  complete: z.boolean(),
  exportedAt: z.string(),
  filter: AuditFilter,
  entries: z.array(AuditEntry),
  /** Entries in the bundle; `entries` holds at most the first 10 000 for review in the UI. */
  entryCount: z.number().int(),
})
export type BundleReport = z.infer<typeof BundleReport>

// ---------------------------------------------------------------------------------------------
// Calls

export const methods = {
  'system.health': def({
    summary: 'Liveness, product version and protocol versions',
    input: Empty,
    output: Health,
    rest: { method: 'GET', path: '/v4/health' },
    public: true,
  }),
  'system.info': def({
    summary: 'Data folder, runtime and the state of every engine',
    input: Empty,
    output: SystemInfo,
    rest: { method: 'GET', path: '/v4/system/info' },
  }),
  'settings.get': def({
    summary: 'Current settings (never the API key itself)',
    input: Empty,
    output: Settings,
    rest: { method: 'GET', path: '/v4/settings' },
  }),
  'settings.update': def({
    summary: 'Change settings',
    input: z
      .object({
        theme: Theme.optional(),
        /** Only the fields given change; `baseURL: null` goes back to Anthropic's own endpoint. */
        intent: IntentSettingsSchema.partial().extend({ baseURL: IntentSettingsSchema.shape.baseURL.unwrap().nullable().optional() }).strict().optional(),
      })
      .strict(),
    output: Settings,
    rest: { method: 'PATCH', path: '/v4/settings' },
  }),
  'settings.setApiKey': def({
    summary: 'Store the Anthropic API key, encrypted',
    input: z.object({ apiKey: ApiKey }).strict(),
    output: Settings,
    rest: { method: 'PUT', path: '/v4/settings/api-key' },
  }),
  'settings.clearApiKey': def({
    summary: 'Forget the stored Anthropic API key',
    input: Empty,
    output: Settings,
    rest: { method: 'DELETE', path: '/v4/settings/api-key' },
  }),
  'backup.create': def({
    summary: 'Back up the whole state with SQLite’s online backup',
    input: z.object({ file: BackupFile.optional(), reason: z.string().max(200).optional() }).strict(),
    output: BackupInfo,
    rest: { method: 'POST', path: '/v4/backups' },
  }),
  'backup.list': def({
    summary: 'Backups in the data folder, newest first',
    input: Empty,
    output: z.array(BackupInfo),
    rest: { method: 'GET', path: '/v4/backups' },
  }),
  'backup.verify': def({
    summary: 'Check that a backup is a sound DWCP database this version can restore',
    input: z.object({ file: BackupFile }).strict(),
    output: BackupVerdict,
    rest: { method: 'POST', path: '/v4/backups/verify' },
  }),
  'backup.restore': def({
    summary: 'Replace the whole state with a verified backup, keeping the previous state',
    input: z.object({ file: BackupFile }).strict(),
    output: RestoreResult,
    rest: { method: 'POST', path: '/v4/backups/restore' },
  }),
  'audit.status': def({
    summary: 'Size, root hash, signing key and latest signed head of the audit log',
    input: Empty,
    output: AuditStatus,
    rest: { method: 'GET', path: '/v4/audit/status' },
  }),
  'audit.query': def({
    summary: 'Audit entries, newest first, filtered by time, actor, action, safety, outcome and full text',
    input: z.object({ filter: AuditFilter.default({}), limit: z.number().int().min(1).max(1000).default(100), beforeSeq: z.number().int().nonnegative().optional() }).strict(),
    output: z.array(AuditEntry),
    rest: { method: 'POST', path: '/v4/audit/query' },
  }),
  'audit.page': def({
    summary: 'A window of the audit log by position, for scrolling through all of it',
    input: z.object({ fromSeq: z.number().int().nonnegative(), limit: z.number().int().min(1).max(1000) }).strict(),
    output: z.array(AuditEntry),
  }),
  'audit.proof': def({
    summary: 'Inclusion proof of one entry against the current tree head',
    input: z.object({ seq: z.number().int().nonnegative() }).strict(),
    output: InclusionProof,
    rest: { method: 'POST', path: '/v4/audit/proof' },
  }),
  'audit.verify': def({
    summary: 'Verify the whole log: every entry, every signed head; progress as audit:progress events',
    input: Empty,
    output: VerifyReport,
    rest: { method: 'POST', path: '/v4/audit/verify' },
  }),
  'audit.sign': def({
    summary: 'Sign the current tree head now',
    input: Empty,
    output: SignedHead,
    rest: { method: 'POST', path: '/v4/audit/sign' },
  }),
  'audit.export': def({
    summary: 'Write a self-contained, verifiable bundle of (some of) the log',
    input: z.object({ file: z.string().trim().min(1).max(4096).optional(), filter: AuditFilter.default({}) }).strict(),
    output: z.object({ file: z.string(), entries: z.number().int(), bytes: z.number().int(), complete: z.boolean() }),
    rest: { method: 'POST', path: '/v4/audit/export' },
  }),
  'audit.openBundle': def({
    summary: 'Verify a bundle and open it for read-only review (a file on the host, or its bytes in base64)',
    input: z
      .object({ file: z.string().trim().min(1).max(4096).optional(), contentBase64: z.string().max(MAX_BUNDLE_BASE64_CHARS).optional(), name: z.string().max(255).optional() })
      .strict()
      .refine((v) => !!v.file !== !!v.contentBase64, 'give either file or contentBase64'),
    output: BundleReport,
  }),
  'terminal.open': def({
    summary: 'Open a shell on a pseudo-terminal; its output arrives as terminal:data events',
    input: z.object({ cols: Cols, rows: Rows }).strict(),
    output: TerminalInfo,
  }),
  'terminal.write': def({
    summary: 'Type into a terminal',
    input: z.object({ id: TerminalId, data: z.string().max(1_000_000) }).strict(),
    output: z.object({}),
  }),
  'terminal.resize': def({
    summary: 'Resize a terminal',
    input: z.object({ id: TerminalId, cols: Cols, rows: Rows }).strict(),
    output: z.object({}),
  }),
  'terminal.ack': def({
    summary: 'Acknowledge characters written to the screen (flow control)',
    input: z.object({ id: TerminalId, chars: z.number().int().min(0).max(100_000_000) }).strict(),
    output: z.object({}),
  }),
  'terminal.close': def({
    summary: 'Close a terminal and kill its process',
    input: z.object({ id: TerminalId }).strict(),
    output: z.object({}),
  }),
  'terminal.list': def({
    summary: 'Terminals opened by this client',
    input: Empty,
    output: z.array(TerminalInfo),
  }),
  // Each engine's calls, from its own file in contracts/.
  ...wasmMethods,
  ...protocolMethods,
  ...orchestratorMethods,
  ...releaseMethods,
  ...intentMethods,
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
/** What a caller sends. */
export type CallInput<M extends MethodName> = z.input<Methods[M]['input']>
/** What a handler receives, after validation and defaults. */
export type ParsedInput<M extends MethodName> = z.output<Methods[M]['input']>
export type CallOutput<M extends MethodName> = z.output<Methods[M]['output']>

export const methodNames = Object.keys(methods) as MethodName[]

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name)
}

// ---------------------------------------------------------------------------------------------
// Events

export const events = {
  /** Output of a terminal, at most 100 KB per event. Sent only to the client that opened it. */
  'terminal:data': z.object({ id: TerminalId, data: z.string() }),
  'terminal:exit': z.object({ id: TerminalId, exitCode: z.number().int(), signal: z.number().int().optional() }),
  /** Settings changed (by any client). */
  settings: Settings,
  /** New audit entries, as they are committed (the Audit view's live tail). */
  audit: z.object({ entries: z.array(AuditEntry), size: z.number().int() }),
  /** Progress of a long audit operation, sent to the client that asked. */
  'audit:progress': z.object({ operation: z.enum(['verify', 'export', 'open']), done: z.number().int(), total: z.number().int() }),
  ...wasmEvents,
  ...protocolEvents,
  ...orchestratorEvents,
  ...releaseEvents,
  ...intentEvents,
} as const

export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.output<Events[E]>

// ---------------------------------------------------------------------------------------------
// Errors, as every transport reports them

export const ErrorCode = z.enum(['bad_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'rate_limited', 'unavailable', 'internal'])
export type ErrorCode = z.infer<typeof ErrorCode>

export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    /** zod issues for bad_request: where and what. */
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    /** rate_limited: seconds until a retry can succeed. */
    retryAfterSeconds: z.number().optional(),
  }),
})
export type ErrorBody = z.infer<typeof ErrorBody>

export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
}

// ---------------------------------------------------------------------------------------------
// WebSocket frames of /v4/stream (JSON text messages)

export const WsRequest = z.object({
  id: z.number().int().nonnegative(),
  method: z.string().max(100),
  input: z.unknown().optional(),
})
export type WsRequest = z.infer<typeof WsRequest>

export type WsResponse =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number | null; error: ErrorBody['error'] }
  | { type: 'event'; event: EventName; data: unknown }
  | { type: 'hello'; product: string; version: string }
