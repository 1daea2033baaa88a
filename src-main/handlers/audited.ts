/**
 * The one way a state-changing call is written to the audit log: its outcome, failure included,
 * with the caller's transport. Every engine's handlers use it, so no call forgets.
 *
 * No change may outlive a crash without its entry. A change made of database writes (a synchronous
 * `run`) commits in the same SQLite transaction as its entry: both or neither. A change that reaches
 * outside the database (an async `run`: agents, files, backups) cannot be rolled back, so an entry
 * saying it started, with what was asked, is committed before it begins; its outcome follows. When
 * the log cannot take an entry, the change is refused before it runs.
 */
import { AuditInputError, AuditWriteError, type AppendInput, type AuditService } from '../audit'
import type { CallContext } from '../api/dispatch'

export type Audited = <T>(ctx: CallContext, entry: Omit<AppendInput, 'actor' | 'outcome'>, run: () => T | Promise<T>, describe?: (result: T) => unknown) => Promise<T>

/** Who did it, for the audit log: the person at a UI or the CLI is the user. */
export function actorOf(ctx: CallContext): string {
  return ctx.transport === 'test' ? 'test' : 'user'
}

type Entry = Omit<AppendInput, 'actor' | 'outcome'>

export function auditedBy(audit: AuditService): Audited {
  return async <T>(ctx: CallContext, entry: Entry, run: () => T | Promise<T>, describe?: (result: T) => unknown): Promise<T> => {
    const record = recorder(audit, ctx, entry)
    if (isAsyncFunction(run)) return outsideTheDatabase(record, run as () => Promise<T>, describe)
    // Where a throw came from: the log's check, the change itself, or writing its entry.
    const at: { phase: 'checking' | 'running' | 'recording' } = { phase: 'checking' }
    let committed: { result: { value: T | Promise<T> } }
    try {
      committed = audit.log.appendWith(
        () => {
          at.phase = 'running'
          const value = run()
          at.phase = 'recording'
          return { value }
        },
        ({ value }) => [isThenable(value) ? record.entry('started') : record.entry('ok', describe ? describe(value as T) : {})],
      )
    } catch (err) {
      if (at.phase !== 'running') throw refused(err)
      // The change threw and was rolled back with everything it wrote: record that it failed.
      record.now('failed', { error: (err as Error).message })
      throw err
    }
    const { value } = committed.result
    if (!isThenable(value)) return value
    // A plain function that returned a promise: its synchronous part committed with the 'started' entry.
    return settle(record, value, describe)
  }
}

interface Recorder {
  entry(outcome: string, extra?: unknown, started?: number): AppendInput
  now(outcome: string, extra?: unknown, started?: number): number
}

function recorder(audit: AuditService, ctx: CallContext, entry: Entry): Recorder {
  const build = (outcome: string, extra: unknown = {}, started?: number): AppendInput => ({
    ...entry,
    actor: actorOf(ctx),
    intentId: ctx.intentId ?? null,
    outcome,
    details: { ...(entry.details as object), ...(extra as object), ...(started !== undefined ? { startedEntry: started } : {}), via: ctx.transport },
  })
  return { entry: build, now: (outcome, extra, started) => audit.record(build(outcome, extra, started)).seq }
}

async function outsideTheDatabase<T>(record: Recorder, run: () => Promise<T>, describe?: (result: T) => unknown): Promise<T> {
  let started: number
  try {
    started = record.now('started')
  } catch (err) {
    throw refused(err)
  }
  return settle(record, run(), describe, started)
}

async function settle<T>(record: Recorder, pending: Promise<T>, describe?: (result: T) => unknown, started?: number): Promise<T> {
  let result: T
  try {
    result = await pending
  } catch (err) {
    record.now('failed', { error: (err as Error).message }, started)
    throw err
  }
  record.now('ok', describe ? describe(result) : {}, started)
  return result
}

/** The change was not made because its entry could not be written: say so, and why. */
function refused(err: unknown): Error {
  // Entry fields the caller got wrong (too long, …) are the caller's error; the change was rolled back all the same.
  if (err instanceof AuditInputError) return err
  const reason = err instanceof Error ? err.message : String(err)
  return new AuditWriteError(`not done: the change could not be recorded in the audit log, so it was not made (${reason})`)
}

function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn.constructor?.name === 'AsyncFunction'
}

function isThenable(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}
