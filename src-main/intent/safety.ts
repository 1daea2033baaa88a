/**
 * Safety is decided here, from the intent's type and target, never taken from a model or from the
 * request's words: "this is safe" or "skip confirmation" in a request changes nothing.
 */
import { SAFETY_LEVELS, type IntentParameters, type IntentType, type Safety } from './types'

export const BASE_SAFETY: Record<IntentType, Safety> = {
  query: 'safe',
  monitor: 'safe',
  diagnose: 'safe',
  deploy: 'caution',
  scale: 'caution',
  optimize: 'caution',
  backup: 'caution',
  update: 'dangerous',
  restore: 'dangerous',
  migrate: 'dangerous',
  rollback: 'dangerous',
  destroy: 'critical',
}

/** Types that cannot be undone by hand: a verified backup comes first (planned, and checked as a guardrail). */
export const BACKUP_FIRST: ReadonlySet<IntentType> = new Set(['destroy', 'restore', 'migrate'])

/** Names that mean production: "prod" or "production" as a word or a dash/underscore/dot-separated part. */
export const DEFAULT_PRODUCTION_PATTERNS: readonly RegExp[] = [/(^|[^a-z0-9])prod(uction)?([^a-z0-9]|$)/i]

export function isProduction(text: string, parameters: IntentParameters, patterns: readonly RegExp[] = DEFAULT_PRODUCTION_PATTERNS): boolean {
  const names = [text, parameters.target ?? '']
  return names.some((name) => patterns.some((p) => p.test(name)))
}

function raise(level: Safety): Safety {
  return SAFETY_LEVELS[Math.min(SAFETY_LEVELS.length - 1, SAFETY_LEVELS.indexOf(level) + 1)]!
}

export function decideSafety(type: IntentType, production: boolean): { safety: Safety; reason: string } {
  const base = BASE_SAFETY[type]
  if (!production || base === 'critical') return { safety: base, reason: `${type} is ${base}${production ? ' (production; already the highest level)' : ''}` }
  const safety = raise(base)
  return { safety, reason: `${type} is ${base}, raised to ${safety} for a production target` }
}

/** Caution and above are confirmed; critical needs the target's name typed. */
export const needsConfirmation = (safety: Safety): boolean => safety !== 'safe'
