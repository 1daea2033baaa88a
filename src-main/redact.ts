/**
 * Secrets never reach the audit log, an error a client sees, or a log line: a member whose name says
 * it holds one is replaced, and so is any string that looks like a credential or contains a secret
 * value this process knows (`rememberSecret`), wherever it appears.
 */
const SECRET_NAME = /(^|[_-])?(api[_-]?key|apikey|token|secret|password|passwd|authorization|cookie|credential|private[_-]?key|secret[_-]?key)s?$/i
const SECRET_VALUE = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g, // Anthropic keys
  /\bBearer\s+[A-Za-z0-9._~+/=-]{16,}/gi, // bearer tokens
  /\b(?:ghp|gho|github_pat)_[A-Za-z0-9_]{20,}/g, // GitHub tokens
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
]
export const REDACTED = '[redacted]'

/**
 * The secret values this process holds (the Anthropic key, the API token…). Patterns only catch
 * secrets of a known shape; a key of any other shape, echoed back in an endpoint's error, is only
 * caught by knowing its value. Values are never forgotten while the process runs: an error about an
 * old key can still be on its way out after the key was replaced.
 */
const knownSecrets = new Set<string>()
const MAX_KNOWN_SECRETS = 64
/** Shorter values would redact ordinary words; no real secret is this short. */
const MIN_SECRET_LENGTH = 8

/** Tell the redaction about a secret value this process now holds. */
export function rememberSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH || knownSecrets.has(value)) return
  if (knownSecrets.size >= MAX_KNOWN_SECRETS) knownSecrets.delete(knownSecrets.values().next().value!)
  knownSecrets.add(value)
}

/** Every known secret value and every credential-shaped string in `text`, replaced. */
export function redactText(text: string): string {
  let out = text
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED)
  return SECRET_VALUE.reduce((s, re) => s.replace(re, REDACTED), out)
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 32) return '[too deep]'
  if (typeof value === 'string') return redactText(value)
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_NAME.test(k) ? REDACTED : redact(v, depth + 1)
    return out
  }
  return value
}
