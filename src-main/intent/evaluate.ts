/**
 * Scoring a recogniser on a labelled set (`dwcp intent eval`): type, safety and parameter accuracy,
 * per type, and the misses to look at.
 */
import type { Intent, IntentType } from './types'

export interface LabelledRequest {
  text: string
  type: IntentType
  safety: Intent['safety']
  replicas?: number
  memoryMB?: number
  cpu?: number
  region?: string
  version?: string
}

const PARAMETER_KEYS = ['replicas', 'memoryMB', 'cpu', 'region', 'version'] as const

export interface EvaluationReport {
  n: number
  type_accuracy: number
  safety_accuracy: number
  /** Share of the labelled parameters extracted exactly. */
  param_accuracy: number
  per_type: Record<string, { n: number; type_accuracy: number; safety_accuracy: number }>
  misses: { text: string; expected: Partial<LabelledRequest>; got: Partial<LabelledRequest> }[]
}

/** Reads JSONL: one labelled request per line; a bad line is an error naming its line number. */
export function parseLabelled(jsonl: string): LabelledRequest[] {
  return jsonl
    .split('\n')
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, number }) => {
      let value: unknown
      try {
        value = JSON.parse(line)
      } catch {
        throw new Error(`line ${number} is not JSON`)
      }
      const v = value as Partial<LabelledRequest>
      if (typeof v?.text !== 'string' || typeof v.type !== 'string' || typeof v.safety !== 'string') throw new Error(`line ${number} needs "text", "type" and "safety"`)
      return v as LabelledRequest
    })
}

const round = (x: number) => Math.round(x * 10000) / 10000

export function evaluate(set: readonly LabelledRequest[], recognise: (text: string) => Intent): EvaluationReport {
  let types = 0
  let safeties = 0
  let params = 0
  let paramsRight = 0
  const perType: Record<string, { n: number; types: number; safeties: number }> = {}
  const misses: EvaluationReport['misses'] = []
  for (const item of set) {
    const intent = recognise(item.text)
    const row = (perType[item.type] ??= { n: 0, types: 0, safeties: 0 })
    row.n++
    const typeOk = intent.type === item.type
    const safetyOk = intent.safety === item.safety
    if (typeOk) (types++, row.types++)
    if (safetyOk) (safeties++, row.safeties++)
    const wrong: Partial<LabelledRequest> = {}
    const expected: Partial<LabelledRequest> = {}
    for (const key of PARAMETER_KEYS) {
      if (item[key] === undefined) continue
      params++
      const got = intent.parameters[key]
      if (got === item[key]) paramsRight++
      else Object.assign(wrong, { [key]: got ?? null }), Object.assign(expected, { [key]: item[key] })
    }
    if (!typeOk || !safetyOk || Object.keys(wrong).length > 0) {
      misses.push({
        text: item.text,
        expected: { ...(typeOk ? {} : { type: item.type }), ...(safetyOk ? {} : { safety: item.safety }), ...expected },
        got: { ...(typeOk ? {} : { type: intent.type }), ...(safetyOk ? {} : { safety: intent.safety }), ...wrong },
      })
    }
  }
  return {
    n: set.length,
    type_accuracy: round(set.length ? types / set.length : 0),
    safety_accuracy: round(set.length ? safeties / set.length : 0),
    param_accuracy: round(params ? paramsRight / params : 1),
    per_type: Object.fromEntries(Object.entries(perType).map(([t, r]) => [t, { n: r.n, type_accuracy: round(r.types / r.n), safety_accuracy: round(r.safeties / r.n) }])),
    misses,
  }
}
