/**
 * Secrets never reach the audit log: a member whose name says it holds one is replaced, and so is any
 * string that looks like a credential wherever it appears.
 */
const SECRET_NAME = /(^|[_-])?(api[_-]?key|apikey|token|secret|password|passwd|authorization|cookie|credential|private[_-]?key|secret[_-]?key)s?$/i
const SECRET_VALUE = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g, // Anthropic keys
  /\bBearer\s+[A-Za-z0-9._~+/=-]{16,}/gi, // bearer tokens
  /\b(?:ghp|gho|github_pat)_[A-Za-z0-9_]{20,}/g, // GitHub tokens
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
]
export const REDACTED = '[redacted]'

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 32) return '[too deep]'
  if (typeof value === 'string') return SECRET_VALUE.reduce((s, re) => s.replace(re, REDACTED), value)
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_NAME.test(k) ? REDACTED : redact(v, depth + 1)
    return out
  }
  return value
}
