import type { ZodError } from 'zod'
import { redactText } from '../redact'
import type { ErrorBody, ErrorCode } from './contract'

/**
 * An error every transport knows how to report: code, human message, and zod issues for bad input.
 * Every error a client sees or the log keeps is one of these, so its text is cleared of secrets here
 * (an endpoint may echo the API key in its error; a bad input may be the key itself).
 */
export class ApiError extends Error {
  readonly issues?: { path: string; message: string }[]

  constructor(
    readonly code: ErrorCode,
    message: string,
    issues?: { path: string; message: string }[],
    /** rate_limited: when to try again (also sent as Retry-After over HTTP). */
    readonly retryAfterSeconds?: number,
  ) {
    super(redactText(message))
    this.name = 'ApiError'
    if (issues) this.issues = issues.map((i) => ({ path: redactText(i.path), message: redactText(i.message) }))
  }

  static fromZod(what: string, err: ZodError): ApiError {
    const issues = err.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }))
    const first = issues[0]
    const summary = first ? `${first.path}: ${first.message}` : 'invalid'
    return new ApiError('bad_request', `invalid ${what} (${summary})`, issues)
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}), ...(this.retryAfterSeconds ? { retryAfterSeconds: this.retryAfterSeconds } : {}) } }
  }
}

/** Turn anything thrown by a handler into an ApiError without leaking internals for unexpected ones. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new ApiError('internal', message)
}
