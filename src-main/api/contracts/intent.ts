/** Calls and events of the Intent engine (issue #8). */
import { z } from 'zod'
import { def } from './base'
import { MAX_REPLICAS } from './orchestrator'

export const IntentTypeSchema = z.enum(['deploy', 'scale', 'update', 'destroy', 'query', 'diagnose', 'optimize', 'backup', 'restore', 'monitor', 'migrate', 'rollback'])
export const SafetySchema = z.enum(['safe', 'caution', 'dangerous', 'critical'])

export const IntentParametersSchema = z.object({
  target: z.string().optional(),
  replicas: z.number().int().optional(),
  cpu: z.number().optional(),
  memoryMB: z.number().int().optional(),
  region: z.string().optional(),
  version: z.string().optional(),
  module: z.string().optional(),
  strategy: z.enum(['latency', 'capacity', 'bandwidth', 'cost', 'intelligent']).optional(),
  backupId: z.string().optional(),
  durationMinutes: z.number().optional(),
  protocol: z.boolean().optional(),
})

export const IntentSchema = z.object({
  type: IntentTypeSchema,
  parameters: IntentParametersSchema,
  confidence: z.number(),
  safety: SafetySchema,
  safetyReason: z.string(),
  requiresConfirmation: z.boolean(),
  /** Critical intents are confirmed by typing this exactly. */
  confirmName: z.string().optional(),
  plan: z.array(z.object({ description: z.string(), call: z.string().optional(), readOnly: z.boolean() })),
  commands: z.array(z.string()),
  recogniser: z.enum(['offline', 'claude']),
  text: z.string(),
  /** Handle for `intent.execute`, kept for 30 minutes. */
  id: z.string(),
  /** A key is set but Claude did not answer: why (the offline parser answered). */
  fallbackReason: z.string().optional(),
  /** Claude's own view of the safety: shown and recorded, never used. */
  claimedSafety: z.string().optional(),
  /** Claude and the offline parser disagreed; the more dangerous reading is used. */
  disagreement: z.string().optional(),
})
export type IntentView = z.infer<typeof IntentSchema>

const Guardrail = z.object({ name: z.enum(['confirmation', 'size', 'rate', 'backup', 'production']), ok: z.boolean(), detail: z.string(), overridable: z.boolean().optional() })
const StepReport = z.object({
  description: z.string(),
  method: z.string(),
  input: z.record(z.string(), z.unknown()),
  readOnly: z.boolean(),
  state: z.enum(['pending', 'running', 'done', 'failed']),
  detail: z.string().optional(),
})
export const ExecutionReportSchema = z.object({
  intentId: z.string(),
  status: z.enum(['done', 'failed', 'dry-run', 'declined']),
  message: z.string(),
  guardrails: z.array(Guardrail),
  steps: z.array(StepReport),
  result: z.unknown().optional(),
  /** Set when the call parsed the text itself. */
  intent: IntentSchema.optional(),
})
export type ExecutionReportView = z.infer<typeof ExecutionReportSchema>

const Context = z.object({ lastTarget: z.string().max(128).optional() }).strict()
const RequestText = z.string().trim().min(1, 'say what you want done').max(2000, 'a request is at most 2000 characters')

export const IntentSettingsSchema = z.object({
  model: z.string().min(1).max(100),
  baseURL: z.string().url().max(500).optional(),
  timeoutMs: z.number().int().min(1000).max(600_000),
  maxRetries: z.number().int().min(0).max(10),
  productionPatterns: z
    .array(
      z
        .string()
        .min(1)
        .max(200)
        .refine((p) => {
          try {
            new RegExp(p, 'i')
            return true
          } catch {
            return false
          }
        }, 'not a valid regular expression'),
    )
    .max(20),
  backupMaxAgeMinutes: z.number().min(1).max(7 * 24 * 60),
  maxReplicas: z.number().int().min(1).max(MAX_REPLICAS),
  changesPerMinute: z.number().int().min(1).max(1000),
})

export const intentMethods = {
  'intent.parse': def({
    summary: 'Turn a request in words into a typed, safety-rated intent with its plan and dwcp commands (nothing is executed)',
    input: z
      .object({
        text: RequestText,
        /** Use the offline parser even when Claude is configured. */
        offline: z.boolean().optional(),
        /** The previous turn's target, so "scale it to 3" knows what "it" is. */
        context: Context.optional(),
        /** Echoed in `intent:partial` events while Claude's answer streams in. */
        requestId: z.string().max(64).optional(),
      })
      .strict(),
    output: IntentSchema,
    rest: { method: 'POST', path: '/v4/llm/parse' },
  }),
  'intent.execute': def({
    summary: 'Carry out a parsed intent (or parse text and carry it out): confirmation, guardrails, then each step, all audited; dryRun changes nothing',
    input: z
      .object({
        intentId: z.string().max(64).optional(),
        /** Instead of intentId: parse this first (as intent.parse would). */
        text: RequestText.optional(),
        offline: z.boolean().optional(),
        context: Context.optional(),
        dryRun: z.boolean().optional(),
        confirmation: z.object({ confirmed: z.boolean().optional(), typedName: z.string().max(200).optional(), declined: z.boolean().optional() }).strict().optional(),
        /** More replicas than the limit: the replica count typed again. */
        override: z.string().max(20).optional(),
        /** Allow a backup to be taken first when no recent verified one exists. */
        consentBackup: z.boolean().optional(),
      })
      .strict()
      .refine((i) => (i.intentId === undefined) !== (i.text === undefined), 'give either intentId (from intent.parse) or text'),
    output: ExecutionReportSchema,
    rest: { method: 'POST', path: '/v4/llm/execute' },
  }),
} as const

export const intentEvents = {
  /** Claude's answer as it streams in, to the client that asked (by its requestId). */
  'intent:partial': z.object({ requestId: z.string(), snapshot: z.string() }),
  /** Each step of an execution as it starts and ends, to the client that asked (the Chat view shows it live). */
  'intent:progress': z.object({ intentId: z.string(), index: z.number().int(), total: z.number().int(), step: StepReport }),
} as const
