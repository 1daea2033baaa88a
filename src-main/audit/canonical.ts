/**
 * The exact bytes an audit entry is hashed as. Any two programs that agree on this file agree on every
 * leaf hash, so it is deliberately boring: a JSON array of the fields in a fixed order, with `details`
 * as canonical JSON (object keys sorted, no white space).
 */
export const SAFETY_LEVELS = ['safe', 'caution', 'dangerous', 'critical'] as const
export type SafetyLevel = (typeof SAFETY_LEVELS)[number]

export interface AuditEntry {
  /** 0-based position in the log, and the leaf index in the Merkle tree. */
  seq: number
  /** ISO 8601, UTC, milliseconds. */
  time: string
  /** 'user', 'system', or an agent id such as 'agent:edge-001'. */
  actor: string
  action: string
  target: string
  intentId: string | null
  safety: SafetyLevel | null
  outcome: string
  /** Canonical JSON text of the details object (secrets already redacted). */
  details: string
}

/** Canonical JSON: sorted object keys, no insignificant white space, no undefined members. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null'
    if (value === undefined) return 'null'
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

/** The text that is hashed (as UTF-8) into the entry's leaf. */
export function canonicalEntry(e: AuditEntry): string {
  return `[${e.seq},${JSON.stringify(e.time)},${JSON.stringify(e.actor)},${JSON.stringify(e.action)},${JSON.stringify(e.target)},${e.intentId === null ? 'null' : JSON.stringify(e.intentId)},${e.safety === null ? 'null' : JSON.stringify(e.safety)},${JSON.stringify(e.outcome)},${e.details}]`
}
