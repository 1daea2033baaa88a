/**
 * The one way a state-changing call is written to the audit log: its outcome, failure included,
 * with the caller's transport. Every engine's handlers use it, so no call forgets.
 */
import type { AppendInput, AuditService } from '../audit'
import type { CallContext } from '../api/dispatch'

export type Audited = <T>(ctx: CallContext, entry: Omit<AppendInput, 'actor' | 'outcome'>, run: () => T | Promise<T>, describe?: (result: T) => unknown) => Promise<T>

/** Who did it, for the audit log: the person at a UI or the CLI is the user. */
export function actorOf(ctx: CallContext): string {
  return ctx.transport === 'test' ? 'test' : 'user'
}

export function auditedBy(audit: AuditService): Audited {
  return async (ctx, entry, run, describe) => {
    try {
      const result = await run()
      audit.record({ ...entry, actor: actorOf(ctx), intentId: ctx.intentId ?? null, outcome: 'ok', details: { ...(entry.details as object), ...(describe ? (describe(result) as object) : {}), via: ctx.transport } })
      return result
    } catch (err) {
      audit.record({ ...entry, actor: actorOf(ctx), intentId: ctx.intentId ?? null, outcome: 'failed', details: { ...(entry.details as object), error: (err as Error).message, via: ctx.transport } })
      throw err
    }
  }
}
