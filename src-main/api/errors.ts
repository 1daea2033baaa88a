import type { ZodError } from 'zod'
import type { ErrorBody, ErrorCode } from './contract'

/** An error every transport knows how to report: code, human message, and zod issues for bad input. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: { path: string; message: string }[],
    /** rate_limited: when to try again (also sent as Retry-After over HTTP). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
    this.name = 'ApiError'
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
