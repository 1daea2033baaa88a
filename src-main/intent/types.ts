/**
 * The intent model: what an operator asked for, typed, safety-rated, with the plan that carries it
 * out. The shapes are the contract's (src-main/api/contracts/intent.ts), so what the engine makes is
 * what intent.parse answers.
 */
import type { z } from 'zod'
import { SafetyLevel } from '../api/contracts/base'
import type { IntentParametersSchema, IntentTypeSchema, PlanStepSchema, RatedIntentSchema } from '../api/contracts/intent'

export type IntentType = z.infer<typeof IntentTypeSchema>

/** In rising order of risk. */
export const SAFETY_LEVELS = SafetyLevel.options
export type Safety = SafetyLevel

/** The Claude model asked when Settings name none. */
export const DEFAULT_MODEL = 'claude-haiku-4-5'

/** Everything a request can state. Only what the text states is set. */
export type IntentParameters = z.infer<typeof IntentParametersSchema>

export type PlanStep = z.infer<typeof PlanStepSchema>

export type Intent = z.infer<typeof RatedIntentSchema>

/** What a recogniser extracts; the engine adds safety, plan and commands by its own rules. */
export interface Recognised {
  type: IntentType
  parameters: IntentParameters
  confidence: number
}

/** Earlier turns of a conversation, so "scale it to 3" finds what "it" is. */
export interface ConversationContext {
  lastTarget?: string
}
