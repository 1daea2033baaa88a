/** Why an intent was not carried out, in the terms every transport reports (see api/errors). */
export type IntentErrorKind = 'bad_request' | 'not_found' | 'conflict' | 'forbidden' | 'rate_limited'

export class IntentError extends Error {
  constructor(
    readonly kind: IntentErrorKind,
    message: string,
    /** For rate_limited: when to try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message)
    this.name = 'IntentError'
  }
}
