/**
 * From a recogniser's answer to an Intent: the safety level and confirmation by our rules, the plan
 * and the commands. Whatever recognised the request, this is where its consequences are decided.
 */
import { recogniseOffline } from './offline'
import { planFor } from './plan'
import { decideSafety, DEFAULT_PRODUCTION_PATTERNS, isProduction, needsConfirmation } from './safety'
import type { ConversationContext, Intent, Recognised } from './types'

export interface IntentRules {
  /** Target names (and request texts) that mean production: they raise safety one level. */
  productionPatterns?: readonly RegExp[]
}

export function toIntent(text: string, recognised: Recognised, recogniser: Intent['recogniser'], rules: IntentRules = {}): Intent {
  const production = isProduction(text, recognised.parameters, rules.productionPatterns ?? DEFAULT_PRODUCTION_PATTERNS)
  const { safety, reason } = decideSafety(recognised.type, production)
  const { plan, commands } = planFor(recognised.type, recognised.parameters)
  return {
    type: recognised.type,
    parameters: recognised.parameters,
    confidence: Math.round(recognised.confidence * 100) / 100,
    safety,
    safetyReason: reason,
    requiresConfirmation: needsConfirmation(safety),
    ...(safety === 'critical' ? { confirmName: recognised.parameters.target ?? recognised.type } : {}),
    plan,
    commands,
    recogniser,
    text,
  }
}

/** Words to an intent by the offline parser alone (no model, no network), under the default rules. */
export function parseOffline(text: string, context: ConversationContext = {}): Intent {
  return toIntent(text, recogniseOffline(text, context), 'offline')
}
