/**
 * Scoring a recogniser on a labelled set (`dwcp intent eval`): type, safety and parameter accuracy,
 * per type, and the misses to look at.
 */
import { SafetyLevel } from '../api/contracts/base'
import { IntentParametersSchema, IntentTypeSchema } from '../api/contracts/intent'
import { MiB, readInputFile } from '../input-file'
import { IntentError } from './errors'
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

/** A labelled set is a file an operator writes by hand: bounded like any request the parser takes. */
export const LABELLED_FILE_MAX_BYTES = 64 * MiB
const MAX_TEXT = 2000

/** Reads JSONL: one labelled request per line; a bad line is an IntentError naming its line number. */
export function parseLabelled(jsonl: string): LabelledRequest[] {
  return jsonl
    .split('\n')
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, number }) => labelled(line, number))
}

function labelled(line: string, number: number): LabelledRequest {
  const bad = (what: string) => new IntentError('bad_request', `line ${number} ${what}`)
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw bad('is not JSON')
  }
  const v = value as Partial<LabelledRequest>
  if (typeof v?.text !== 'string' || typeof v.type !== 'string' || typeof v.safety !== 'string') throw bad('needs "text", "type" and "safety"')
  if (v.text.length > MAX_TEXT) throw bad(`has a text of ${v.text.length} characters; a request is at most ${MAX_TEXT}`)
  // The type and safety become keys of the report: only the known ones, never __proto__ and the like.
  if (!IntentTypeSchema.safeParse(v.type).success) throw bad(`has type "${v.type.slice(0, 40)}", not one of ${IntentTypeSchema.options.join(', ')}`)
  if (!SafetyLevel.safeParse(v.safety).success) throw bad(`has safety "${v.safety.slice(0, 40)}", not one of ${SafetyLevel.options.join(', ')}`)
  // The labelled parameters end up in the report as they are: numbers and strings, never a deep structure.
  const parameters = LabelledParameters.safeParse(value)
  if (!parameters.success) throw bad(`has ${parameters.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return { ...parameters.data, text: v.text, type: v.type, safety: v.safety }
}

const LabelledParameters = IntentParametersSchema.pick({ replicas: true, memoryMB: true, cpu: true, region: true, version: true })

/** `dwcp intent eval FILE`: the file read with its size bounded, then parsed. */
export function readLabelled(file: string): LabelledRequest[] {
  const text = readInputFile(file, LABELLED_FILE_MAX_BYTES)
  try {
    return parseLabelled(text)
  } catch (err) {
    if (err instanceof IntentError) throw new IntentError('bad_request', `${file}: ${err.message}`)
    throw err
  }
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
