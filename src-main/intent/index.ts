/** The intent engine's public face (issue #8): requests in words → typed, safety-rated intents. */
export { INTENT_TYPES, SAFETY_LEVELS, type Intent, type IntentType, type IntentParameters, type PlanStep, type Recognised, type ConversationContext, type Safety } from './types'
export { recogniseOffline } from './offline'
export { toIntent, type IntentRules } from './intent'
export { BASE_SAFETY, DEFAULT_PRODUCTION_PATTERNS, decideSafety, isProduction } from './safety'
export { evaluate, parseLabelled, type EvaluationReport, type LabelledRequest } from './evaluate'
export { IntentEngine, DEFAULT_INTENT_SETTINGS, type IntentSettings, type IntentPorts, type ParsedIntent, type ExecuteRequest, type ExecutionReport, type Caller } from './engine'
export { IntentError } from './errors'
