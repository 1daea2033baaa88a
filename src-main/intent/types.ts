/** The intent model: what an operator asked for, typed, safety-rated, with the plan that carries it out. */

export const INTENT_TYPES = ['deploy', 'scale', 'update', 'destroy', 'query', 'diagnose', 'optimize', 'backup', 'restore', 'monitor', 'migrate', 'rollback'] as const
export type IntentType = (typeof INTENT_TYPES)[number]

export const SAFETY_LEVELS = ['safe', 'caution', 'dangerous', 'critical'] as const
export type Safety = (typeof SAFETY_LEVELS)[number]

export const STRATEGY_NAMES = ['latency', 'capacity', 'bandwidth', 'cost', 'intelligent'] as const

/** The Claude model asked when Settings name none. */
export const DEFAULT_MODEL = 'claude-haiku-4-5'

/** Everything a request can state. Only what the text states is set. */
export interface IntentParameters {
  /** The deployment (or device) the request is about. */
  target?: string
  replicas?: number
  cpu?: number
  memoryMB?: number
  region?: string
  version?: string
  /** A built-in workload or `sha256:<hex>`. */
  module?: string
  strategy?: (typeof STRATEGY_NAMES)[number]
  backupId?: string
  /** Monitor: how long to watch. */
  durationMinutes?: number
  /** Rollback of the whole release to protocol v3 (not one deployment to its previous version). */
  protocol?: boolean
}

export interface PlanStep {
  /** What the step does, in words an operator reads. */
  description: string
  /** The engine call that carries it out (a contract method), when there is one. */
  call?: string
  readOnly: boolean
}

export interface Intent {
  type: IntentType
  parameters: IntentParameters
  /** 0–1: how sure the recogniser is of the type and parameters. */
  confidence: number
  safety: Safety
  /** Why the safety level is what it is: the rule, and the production raise if any. */
  safetyReason: string
  requiresConfirmation: boolean
  /** Critical intents are confirmed by typing this (the target's name, or the operation when there is none). */
  confirmName?: string
  plan: PlanStep[]
  /** The same operation as `dwcp` commands, to review or to run in the terminal. */
  commands: string[]
  /** Which recogniser answered: the offline parser or Claude. */
  recogniser: 'offline' | 'claude'
  text: string
}

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
