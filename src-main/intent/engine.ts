/**
 * The intent engine: requests in words → intents (Claude when a key is set, the offline parser
 * otherwise or when Claude fails), then, on request, the guardrails and the execution. It reaches
 * the other engines only through ports the composition root hands it: contract calls, the audit
 * log, settings. Every decision it takes is written to the audit log under the intent's id.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { z } from 'zod'
import type { ExecutionReportView, GuardrailSchema, IntentSettingsSchema, IntentView, StepReportSchema } from '../api/contracts/intent'
import { MAX_REPLICAS } from '../api/contracts/orchestrator'
import type { ClaudeRecogniser } from './claude'
import { redactText } from '../redact'
import { IntentError } from './errors'
import { toIntent } from './intent'
import { recogniseOffline } from './offline'
import { BACKUP_FIRST, BASE_SAFETY, DEFAULT_PRODUCTION_PATTERNS } from './safety'
import { executionSteps, type ExecutionStep, type StepLookups } from './steps'
import { DEFAULT_MODEL, SAFETY_LEVELS, type ConversationContext, type Intent, type Recognised, type Safety } from './types'

export type IntentSettings = z.infer<typeof IntentSettingsSchema>

export const DEFAULT_INTENT_SETTINGS: IntentSettings = {
  model: DEFAULT_MODEL,
  timeoutMs: 20_000,
  maxRetries: 2,
  productionPatterns: DEFAULT_PRODUCTION_PATTERNS.map((p) => p.source),
  backupMaxAgeMinutes: 60,
  maxReplicas: 100,
  changesPerMinute: 10,
}

const INTENT_TTL_MS = 30 * 60_000
const MAX_KEPT_INTENTS = 500

export interface IntentPorts {
  settings(): IntentSettings
  /** The Anthropic key, read when needed so a key set in Settings applies at once. */
  apiKey(): string | undefined
  /** Why Claude may not be asked at all (its feature flag is off), or null when it may. */
  claudeRefused(): string | null
  record(entry: { action: string; target: string; intentId: string; safety?: Safety; outcome: string; details?: unknown }): void
}

/** An intent as the engine keeps it, with its id and how it was recognised: what intent.parse answers. */
export type ParsedIntent = IntentView

export interface ParseRequest {
  text: string
  offline?: boolean
  context?: ConversationContext
  /** Claude's answer as it streams in (a JSON snapshot of the tool input). */
  onPartial?: (snapshot: string) => void
}

export interface Confirmation {
  confirmed?: boolean
  /** Critical intents: the name to type, exactly. */
  typedName?: string
  declined?: boolean
}

export interface ExecuteRequest {
  intentId: string
  dryRun?: boolean
  confirmation?: Confirmation
  /** More replicas than the limit: the replica count typed again. */
  override?: string
  /** May a backup be taken first when no recent verified one exists. */
  consentBackup?: boolean
}

type Guardrail = z.infer<typeof GuardrailSchema>
type StepReport = z.infer<typeof StepReportSchema>
/** Without the intent: the handler adds it when the call parsed the text itself. */
export type ExecutionReport = Omit<ExecutionReportView, 'intent'>

export type ProgressListener = (report: { intentId: string; index: number; step: StepReport; total: number }) => void

/** Who carries the steps out: contract calls made as the requesting client (validated and audited by their own handlers). */
export interface Caller {
  call(method: string, input: unknown): Promise<unknown>
  progress?: ProgressListener
}

type Recorder = (action: string, outcome: string, details?: unknown) => void

interface Kept {
  intent: ParsedIntent
  expiresAt: number
  outcome?: ExecutionReport['status']
  running?: boolean
}

const rank = (s: Safety) => SAFETY_LEVELS.indexOf(s)

export class IntentEngine {
  private readonly kept = new Map<string, Kept>()
  private readonly changes: number[] = []
  private claude?: { key: string; settings: string; recogniser: ClaudeRecogniser }

  constructor(
    private readonly ports: IntentPorts,
    private readonly now: () => number = Date.now,
  ) {}

  async parse(request: ParseRequest): Promise<ParsedIntent> {
    const settings = this.ports.settings()
    const rules = { productionPatterns: compilePatterns(settings.productionPatterns) }
    const context = request.context ?? {}
    const offline = recogniseOffline(request.text, context)
    const id = randomUUID()
    let parsed: ParsedIntent
    const key = request.offline ? undefined : this.ports.apiKey()
    const refused = key ? this.ports.claudeRefused() : null
    if (!key || refused) {
      parsed = { id, ...toIntent(request.text, withName(offline), 'offline', rules), ...(refused ? { fallbackReason: refused } : {}) }
    } else {
      try {
        const answer = await (await this.recogniser(key, settings)).recognise(request.text, context, request.onPartial)
        const { recognised, disagreement } = moreDangerous(answer, offline)
        parsed = { id, ...toIntent(request.text, withName(recognised), 'claude', rules), ...(answer.claimedSafety ? { claimedSafety: answer.claimedSafety } : {}), ...(disagreement ? { disagreement } : {}) }
      } catch (err) {
        parsed = { id, ...toIntent(request.text, withName(offline), 'offline', rules), fallbackReason: `Claude did not answer (${describeError(err)}); the offline parser did` }
      }
    }
    this.keep(parsed)
    this.ports.record({
      action: 'intent.parse',
      target: parsed.parameters.target ?? parsed.type,
      intentId: id,
      safety: parsed.safety,
      outcome: 'ok',
      details: {
        text: request.text,
        type: parsed.type,
        parameters: parsed.parameters,
        confidence: parsed.confidence,
        recogniser: parsed.recogniser,
        ...(parsed.fallbackReason ? { fallbackReason: parsed.fallbackReason } : {}),
        ...(parsed.claimedSafety ? { claimedSafety: parsed.claimedSafety } : {}),
        ...(parsed.disagreement ? { disagreement: parsed.disagreement } : {}),
      },
    })
    return parsed
  }

  async execute(request: ExecuteRequest, caller: Caller): Promise<ExecutionReport> {
    const kept = this.lookup(request.intentId)
    const intent = kept.intent
    if (kept.running) throw new IntentError('conflict', 'this intent is being carried out already')
    if (kept.outcome && kept.outcome !== 'dry-run') throw new IntentError('conflict', `this intent was already ${kept.outcome === 'declined' ? 'declined' : 'carried out'}; send the request again for a new one`)
    const record: Recorder = (action, outcome, details) => this.ports.record({ action, target: intent.parameters.target ?? intent.type, intentId: intent.id, safety: intent.safety, outcome, details })

    if (request.confirmation?.declined) {
      kept.outcome = 'declined'
      record('intent.decline', 'declined', { text: intent.text })
      return { intentId: intent.id, status: 'declined', message: 'Declined: nothing was changed.', guardrails: [], steps: [] }
    }

    // Held from the first await on, so two clients confirming the same intent cannot both run it.
    kept.running = true
    try {
      return await this.decideAndRun(kept, request, caller, record)
    } finally {
      kept.running = false
    }
  }

  private async decideAndRun(kept: Kept, request: ExecuteRequest, caller: Caller, record: Recorder): Promise<ExecutionReport> {
    const intent = kept.intent
    const lookups = lookupsThrough(caller)
    let steps: ExecutionStep[]
    try {
      steps = await executionSteps(intent, lookups)
    } catch (err) {
      record('intent.refuse', 'refused', { reason: (err as Error).message })
      throw err
    }
    const settings = this.ports.settings()
    const readOnly = steps.every((s) => s.readOnly)
    const backup = readOnly ? null : await this.backupState(intent, settings, lookups, caller)
    const guardrails = this.guardrails(intent, request, settings, readOnly, backup)
    if (backup && !backup.fresh) steps = [...backupSteps(intent), ...steps]
    const reports: StepReport[] = steps.map((s) => ({ ...s, state: 'pending' }))

    if (request.dryRun) {
      kept.outcome = 'dry-run'
      record('intent.dry-run', 'ok', { guardrails, steps: steps.map((s) => ({ method: s.method, input: s.input })) })
      return { intentId: intent.id, status: 'dry-run', message: 'Dry run: this is what would happen; nothing was changed.', guardrails, steps: reports }
    }

    const refused = guardrails.find((g) => !g.ok)
    if (refused) {
      record('intent.decision', 'refused', { guardrail: refused.name, reason: refused.detail, guardrails })
      throw new IntentError(refused.name === 'rate' ? 'rate_limited' : 'forbidden', refused.detail, refused.name === 'rate' ? this.retryAfterSeconds() : undefined)
    }
    record('intent.decision', 'allowed', { guardrails, confirmation: confirmationWords(intent, request.confirmation) })
    if (!readOnly) this.changes.push(this.now())
    // From here on the intent has been acted upon: it can never run a second time.
    kept.outcome = 'failed'
    return await this.run(kept, reports, caller, record, guardrails)
  }

  private async run(kept: Kept, reports: StepReport[], caller: Caller, record: Recorder, guardrails: Guardrail[]): Promise<ExecutionReport> {
    const intent = kept.intent
    const onProgress = caller.progress ?? (() => {})
    let result: unknown
    for (const [index, step] of reports.entries()) {
      step.state = 'running'
      onProgress({ intentId: intent.id, index, step: { ...step }, total: reports.length })
      try {
        result = await caller.call(step.method, step.input)
        step.state = 'done'
        step.detail = summariseResult(step.method, result)
        record('intent.step', 'ok', { index, method: step.method, input: step.input, result: step.detail })
      } catch (err) {
        step.state = 'failed'
        step.detail = (err as Error).message
        record('intent.step', 'failed', { index, method: step.method, input: step.input, error: step.detail })
      }
      onProgress({ intentId: intent.id, index, step: { ...step }, total: reports.length })
      if (step.state === 'failed') {
        const message = `Stopped at step ${index + 1} of ${reports.length} (${step.description}): ${step.detail}`
        record('intent.result', 'failed', { message })
        return { intentId: intent.id, status: 'failed', message, guardrails, steps: reports }
      }
    }
    kept.outcome = 'done'
    const message = `Done: ${reports.length} step${reports.length === 1 ? '' : 's'} carried out.`
    record('intent.result', 'ok', { message })
    return { intentId: intent.id, status: 'done', message, guardrails, steps: reports, result }
  }

  private guardrails(intent: ParsedIntent, request: ExecuteRequest, settings: IntentSettings, readOnly: boolean, backup: BackupState | null): Guardrail[] {
    const found: Guardrail[] = [confirmationGuardrail(intent, request.confirmation)]
    if (rank(intent.safety) > rank(BASE_SAFETY[intent.type])) found.push({ name: 'production', ok: true, detail: `production target: ${intent.safetyReason}` })
    const replicas = intent.parameters.replicas
    if (replicas !== undefined && (intent.type === 'deploy' || intent.type === 'scale')) found.push(sizeGuardrail(replicas, settings.maxReplicas, request.override))
    if (!readOnly) {
      const recent = this.recentChanges()
      found.push(
        recent < settings.changesPerMinute
          ? { name: 'rate', ok: true, detail: `${recent} of ${settings.changesPerMinute} changes in the last minute` }
          : { name: 'rate', ok: false, detail: `rate limit: ${settings.changesPerMinute} changes a minute already carried out; try again in ${this.retryAfterSeconds()} s` },
      )
    }
    if (backup) found.push(backupGuardrail(backup, settings, request.consentBackup === true))
    return found
  }

  private async backupState(intent: Intent, settings: IntentSettings, lookups: StepLookups, caller: Caller): Promise<BackupState | null> {
    if (!BACKUP_FIRST.has(intent.type)) return null
    const newest = await lookups.newestBackup()
    if (!newest) return { fresh: false, detail: 'there is no backup' }
    const ageMinutes = (this.now() - Date.parse(newest.createdAt)) / 60_000
    if (ageMinutes > settings.backupMaxAgeMinutes) return { fresh: false, detail: `the newest backup (${newest.name}) is ${Math.round(ageMinutes)} min old` }
    const verdict = (await caller.call('backup.verify', { file: newest.name })) as { ok: boolean; problems: string[] }
    if (!verdict.ok) return { fresh: false, detail: `the newest backup (${newest.name}) does not verify: ${verdict.problems.join('; ')}` }
    return { fresh: true, detail: `verified backup ${newest.name}, ${Math.max(0, Math.round(ageMinutes))} min old` }
  }

  /** The SDK is loaded on the first request Claude answers: a host without a key never pays for it at start-up. */
  private async recogniser(key: string, settings: IntentSettings): Promise<ClaudeRecogniser> {
    const fingerprint = JSON.stringify([settings.model, settings.baseURL ?? '', settings.timeoutMs, settings.maxRetries])
    if (this.claude?.key !== key || this.claude.settings !== fingerprint) {
      const { ClaudeRecogniser } = await import('./claude')
      this.claude = { key, settings: fingerprint, recogniser: new ClaudeRecogniser({ apiKey: key, model: settings.model, timeoutMs: settings.timeoutMs, maxRetries: settings.maxRetries, ...(settings.baseURL ? { baseURL: settings.baseURL } : {}) }) }
    }
    return this.claude.recogniser
  }

  private recentChanges(): number {
    const since = this.now() - 60_000
    while (this.changes.length && this.changes[0]! <= since) this.changes.shift()
    return this.changes.length
  }

  private retryAfterSeconds(): number {
    this.recentChanges()
    return this.changes.length ? Math.max(1, Math.ceil((this.changes[0]! + 60_000 - this.now()) / 1000)) : 1
  }

  private keep(intent: ParsedIntent): void {
    const now = this.now()
    for (const [id, k] of this.kept) if (k.expiresAt <= now && !k.running) this.kept.delete(id)
    while (this.kept.size >= MAX_KEPT_INTENTS) this.kept.delete(this.kept.keys().next().value!)
    this.kept.set(intent.id, { intent, expiresAt: now + INTENT_TTL_MS })
  }

  private lookup(intentId: string): Kept {
    const kept = this.kept.get(intentId)
    if (!kept || (kept.expiresAt <= this.now() && !kept.running)) throw new IntentError('not_found', `no intent ${intentId.slice(0, 64)} (intents are kept for 30 minutes after parsing); send the request again`)
    return kept
  }
}

function lookupsThrough(caller: Caller): StepLookups {
  const listNewestBackup = async () => {
    const list = (await caller.call('backup.list', {})) as { name: string; createdAt: string; reason?: string }[]
    return list.find((b) => b.reason !== 'unreadable') ?? null
  }
  // A restore asks for the newest backup as its source, then the backup guardrail asks again: one list answers both.
  let newest: ReturnType<typeof listNewestBackup> | undefined
  return {
    newestBackup: () => (newest ??= listNewestBackup()),
    previousModule: async (deployment: string) => {
      const entries = (await caller.call('audit.query', { filter: { text: deployment, outcome: 'ok' }, limit: 200 })) as { action: string; target: string; details: string }[]
      const modules = entries
        .filter((e) => e.target === deployment && (e.action === 'edge.update' || e.action === 'edge.deploy'))
        .map((e) => (JSON.parse(e.details) as { module?: string }).module)
        .filter((m): m is string => typeof m === 'string')
      // Newest first: the first is the module running now, the next differing one the one before it.
      return modules.find((m) => m !== modules[0]) ?? null
    },
  }
}

interface BackupState {
  fresh: boolean
  detail: string
}

function backupSteps(intent: ParsedIntent): ExecutionStep[] {
  const file = `before-${intent.type}-${intent.id.slice(0, 8)}.db`
  return [
    { description: 'Take a backup first (guardrail)', method: 'backup.create', input: { file, reason: `before ${intent.type} ${intent.parameters.target ?? ''}`.trim() }, readOnly: false },
    { description: 'Verify that backup', method: 'backup.verify', input: { file }, readOnly: true },
  ]
}

function confirmationGuardrail(intent: Intent, confirmation: Confirmation | undefined): Guardrail {
  if (!intent.requiresConfirmation) return { name: 'confirmation', ok: true, detail: `${intent.safety}: no confirmation needed` }
  if (intent.safety === 'critical') {
    const expected = intent.confirmName ?? intent.type
    if (confirmation?.typedName === undefined) return { name: 'confirmation', ok: false, detail: `critical: confirm by typing “${expected}”` }
    return confirmation.typedName.trim() === expected
      ? { name: 'confirmation', ok: true, detail: `critical: “${expected}” typed` }
      : { name: 'confirmation', ok: false, detail: `critical: the name typed does not match “${expected}”` }
  }
  return confirmation?.confirmed === true ? { name: 'confirmation', ok: true, detail: `${intent.safety}: confirmed` } : { name: 'confirmation', ok: false, detail: `${intent.safety}: this needs your confirmation` }
}

function confirmationWords(intent: Intent, confirmation: Confirmation | undefined): string {
  if (!intent.requiresConfirmation) return 'not needed'
  return intent.safety === 'critical' ? `name typed (${confirmation?.typedName ?? ''})` : 'confirmed'
}

function sizeGuardrail(replicas: number, limit: number, override: string | undefined): Guardrail {
  if (replicas > MAX_REPLICAS) return { name: 'size', ok: false, detail: `${replicas} replicas: a deployment has at most ${MAX_REPLICAS}` }
  if (replicas <= limit) return { name: 'size', ok: true, detail: `${replicas} replicas (limit ${limit})` }
  return override?.trim() === String(replicas)
    ? { name: 'size', ok: true, detail: `${replicas} replicas, above the limit of ${limit}: override typed` }
    : { name: 'size', ok: false, overridable: true, detail: `${replicas} replicas is more than the limit of ${limit}: type ${replicas} as the override to go ahead` }
}

function backupGuardrail(backup: BackupState, settings: IntentSettings, consent: boolean): Guardrail {
  if (backup.fresh) return { name: 'backup', ok: true, detail: backup.detail }
  return consent
    ? { name: 'backup', ok: true, detail: `${backup.detail}: a backup is taken first` }
    : { name: 'backup', ok: false, detail: `${backup.detail}; a verified backup younger than ${settings.backupMaxAgeMinutes} min is needed first — allow one to be taken` }
}

/**
 * Claude's reading is used unless the offline parser reads the same words as something more
 * dangerous: a destroy dressed as a query is then treated as the destroy it may be.
 */
function moreDangerous(claude: Recognised, offline: Recognised): { recognised: Recognised; disagreement?: string } {
  if (rank(BASE_SAFETY[offline.type]) <= rank(BASE_SAFETY[claude.type])) return { recognised: claude }
  return {
    recognised: { type: offline.type, parameters: { ...offline.parameters, ...definedOnly(claude.parameters) }, confidence: Math.min(claude.confidence, offline.confidence) },
    disagreement: `Claude read this as ${claude.type}, the offline parser as ${offline.type}; the more dangerous reading is used`,
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** A deployment needs a name; when the request gives none, one is made from the module. */
function withName(r: Recognised): Recognised {
  if (r.type !== 'deploy' || r.parameters.target) return r
  return { ...r, parameters: { ...r.parameters, target: `${(r.parameters.module ?? 'trivial').replace(/^sha256:/, 'mod-').slice(0, 20)}-${randomBytes(2).toString('hex')}` } }
}

function compilePatterns(sources: readonly string[]): RegExp[] {
  return sources.map((s) => new RegExp(s, 'i'))
}

/** Why Claude failed, in words safe to show and store: an endpoint may echo the key it was sent. */
function describeError(err: unknown): string {
  const e = err as { status?: number; message?: string; name?: string }
  // Redacted before it is cut, so no part of a secret survives at the cut.
  const message = redactText(e.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 200)
  return e.status ? `HTTP ${e.status}: ${message}` : message
}

function summariseResult(method: string, result: unknown): string {
  const r = result as Record<string, unknown> | unknown[] | null
  if (method === 'edge.deployments.list' && Array.isArray(r)) {
    const deployments = r as { name: string; state: string; instances: { state: string }[] }[]
    if (!deployments.length) return 'no deployments'
    const shown = deployments.slice(0, 12).map((d) => `${d.name} ${d.instances.filter((i) => i.state === 'running').length}/${d.instances.length} running (${d.state})`)
    return `${deployments.length} deployment${deployments.length === 1 ? '' : 's'}: ${shown.join(', ')}${deployments.length > shown.length ? ', …' : ''}`
  }
  if (method === 'audit.query' && Array.isArray(r)) {
    const entries = r as { action: string; target: string }[]
    if (!entries.length) return 'no failures recorded'
    return `${entries.length} recent failure${entries.length === 1 ? '' : 's'}: ${entries.slice(0, 5).map((e) => `${e.action} ${e.target}`).join(', ')}${entries.length > 5 ? ', …' : ''}`
  }
  if (method === 'edge.devices.list' && r && !Array.isArray(r) && Array.isArray(r.devices)) {
    const devices = r.devices as { state: string; load: number }[]
    const online = devices.filter((d) => d.state === 'online').length
    const load = devices.length ? devices.reduce((sum, d) => sum + d.load, 0) / devices.length : 0
    return `${String(r.total)} device${r.total === 1 ? '' : 's'}; of the first ${devices.length}, ${online} online, mean load ${Math.round(load * 100)} %`
  }
  if (method === 'wasm.metrics' && r && !Array.isArray(r)) {
    const m = r as { coldCalls: number; warmCalls: number; warmP99Us: number | null; activeInstances: number; cache: { hitRate: number } }
    return `WASM pool: ${m.warmCalls} warm and ${m.coldCalls} cold calls${m.warmP99Us !== null ? `, warm p99 ${Math.round(m.warmP99Us)} µs` : ''}, ${m.activeInstances} instances, cache hit rate ${Math.round(m.cache.hitRate * 100)} %`
  }
  if (Array.isArray(r)) return `${r.length} item${r.length === 1 ? '' : 's'}`
  if (!r || typeof r !== 'object') return 'done'
  if (method.startsWith('edge.deployments.') && 'instances' in r) {
    const d = r as { name: string; state: string; instances: { state: string }[] }
    return `${d.name}: ${d.instances.filter((i) => i.state === 'running').length}/${d.instances.length} replicas running (${d.state})`
  }
  if (method === 'edge.deployments.delete') return `${String(r.name)} deleted, ${String(r.stopped)} replicas stopped`
  if (method === 'backup.create') return `backup ${String(r.name ?? r.file)}`
  if (method === 'backup.verify') return r.ok ? 'verified' : `does not verify: ${(r.problems as string[]).join('; ')}`
  if (method === 'edge.rebalance') return `${(r.moves as unknown[]).length} move${(r.moves as unknown[]).length === 1 ? '' : 's'}, gain ${Number(r.totalGain).toFixed(3)}${r.applied ? ' (applied)' : ''}`
  if ('total' in r) return `${String(r.total)} total`
  return 'done'
}
