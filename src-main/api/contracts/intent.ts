/** Calls and events of the Intent engine (issue #8). */
import { z } from 'zod'
import { def, SafetyLevel } from './base'
import { MAX_REPLICAS, Strategy } from './orchestrator'

export const IntentTypeSchema = z.enum(['deploy', 'scale', 'update', 'destroy', 'query', 'diagnose', 'optimize', 'backup', 'restore', 'monitor', 'migrate', 'rollback'])

/** Everything a request can state. Only what the text states is set. */
export const IntentParametersSchema = z.object({
  /** The deployment (or device) the request is about. */
  target: z.string().optional(),
  replicas: z.number().int().optional(),
  cpu: z.number().optional(),
  memoryMB: z.number().int().optional(),
  region: z.string().optional(),
  version: z.string().optional(),
  /** A built-in workload or `sha256:<hex>`. */
  module: z.string().optional(),
  strategy: Strategy.optional(),
  backupId: z.string().optional(),
  /** Monitor: how long to watch. */
  durationMinutes: z.number().optional(),
  /** Rollback of the whole release to protocol v3 (not one deployment to its previous version). */
  protocol: z.boolean().optional(),
})

export const PlanStepSchema = z.object({
  /** What the step does, in words an operator reads. */
  description: z.string(),
  /** The engine call that carries it out (a contract method), when there is one. */
  call: z.string().optional(),
  readOnly: z.boolean(),
})

/** What an operator asked for, typed and safety-rated by our rules, with the plan that carries it out. */
export const RatedIntentSchema = z.object({
  type: IntentTypeSchema,
  parameters: IntentParametersSchema,
  /** 0–1: how sure the recogniser is of the type and parameters. */
  confidence: z.number(),
  safety: SafetyLevel,
  /** Why the safety level is what it is: the rule, and the production raise if any. */
  safetyReason: z.string(),
  requiresConfirmation: z.boolean(),
  /** Critical intents are confirmed by typing this exactly (the target's name, or the operation when there is none). */
  confirmName: z.string().optional(),
  plan: z.array(PlanStepSchema),
  /** The same operation as `dwcp` commands, to review or to run in the terminal. */
  commands: z.array(z.string()),
  /** Which recogniser answered: the offline parser or Claude. */
  recogniser: z.enum(['offline', 'claude']),
  text: z.string(),
})

/** What intent.parse answers: a rated intent with the id to carry it out by, and how it was recognised. */
export const IntentSchema = RatedIntentSchema.extend({
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

export const GuardrailSchema = z.object({
  name: z.enum(['confirmation', 'size', 'rate', 'backup', 'production']),
  ok: z.boolean(),
  detail: z.string(),
  /** A failing size limit that the replica count typed again lifts (the hard maximum is not). */
  overridable: z.boolean().optional(),
})
export const StepReportSchema = z.object({
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
  guardrails: z.array(GuardrailSchema),
  steps: z.array(StepReportSchema),
  /** What the last step returned (the deployment, the backup, the rollback record, …). */
  result: z.unknown().optional(),
  /** Set when the call parsed the text itself. */
  intent: IntentSchema.optional(),
})
export type ExecutionReportView = z.infer<typeof ExecutionReportSchema>

const Context = z.object({ lastTarget: z.string().max(128).optional() }).strict()
const RequestText = z.string().trim().min(1, 'say what you want done').max(2000, 'a request is at most 2000 characters')

export const IntentSettingsSchema = z.object({
  model: z.string().min(1).max(100),
  /** Where the Messages API is; unset means Anthropic's own. */
  baseURL: z.string().url().max(500).optional(),
  timeoutMs: z.number().int().min(1000).max(600_000),
  maxRetries: z.number().int().min(0).max(10),
  /** Regular expressions (source text, case-insensitive) for production names. */
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
  /** Destroy, restore and migrate need a verified backup younger than this. */
  backupMaxAgeMinutes: z.number().min(1).max(7 * 24 * 60),
  /** More replicas than this need the number typed as an override. */
  maxReplicas: z.number().int().min(1).max(MAX_REPLICAS),
  /** Changing intents carried out per minute, across all clients. */
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
  'intent:progress': z.object({ intentId: z.string(), index: z.number().int(), total: z.number().int(), step: StepReportSchema }),
} as const
