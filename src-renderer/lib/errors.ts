import { CallFailed } from '../api/client'

/** What went wrong, in one sentence a person can read. */
export function errorMessage(err: unknown): string {
  if (err instanceof CallFailed) return err.detail.message || 'the host refused the request'
  if (err instanceof Error) return err.message
  return String(err)
}

/** Validation problems of a refused call, one line each ("apiKey: an API key is at least 20 characters" → the message only). */
export function issueMessages(err: unknown): string[] {
  if (!(err instanceof CallFailed)) return [errorMessage(err)]
  const issues = err.detail.issues ?? []
  if (issues.length === 0) return [errorMessage(err)]
  return issues.map((issue) => issue.message)
}

/** A call that failed with this code (e.g. 'not_found'). */
export function isCallError(err: unknown, code: string): boolean {
  return err instanceof CallFailed && err.detail.code === code
}
