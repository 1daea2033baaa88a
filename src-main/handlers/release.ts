/**
 * The release manager's calls. Every state change is audited; emails and free text stay out of the
 * audit details (adopters are named by id, feedback by number), so the log carries no personal data.
 */
import type { releaseMethods } from '../api/contracts/release'
import type { HandlersFor } from '../api/dispatch'
import type { EventBus } from '../events'
import type { ReleaseManager } from '../release'
import { actorOf, type Audited } from './audited'

export function releaseHandlers({ release, audited, events }: { release: ReleaseManager; audited: Audited; events: EventBus }): HandlersFor<keyof typeof releaseMethods> {
  const changed = <T>(change: string, value: T): T => (events.emit('release', { change }), value)
  return {
    'release.flags.list': () => release.flags.list(),
    'release.flags.set': ({ name, ...patch }, ctx) =>
      audited(ctx, { action: 'release.flag.set', target: name, details: patch }, () => changed('flags', release.setFlag(name, patch)), (r) => ({ created: r.created })),
    'release.flags.delete': ({ name }, ctx) => audited(ctx, { action: 'release.flag.delete', target: name, safety: 'caution' }, () => changed('flags', release.flags.delete(name))),
    'release.flags.evaluate': ({ name, users }) => {
      release.flags.require(name)
      return users.map((user) => release.evaluate(name, user))
    },
    'release.environment.set': ({ environment }, ctx) =>
      audited(ctx, { action: 'release.environment.set', target: environment, safety: 'caution' }, () => changed('environment', { environment: release.setEnvironment(environment) })),
    'release.adopters.register': (input, ctx) =>
      audited(
        ctx,
        { action: 'release.adopter.register', target: 'application', details: { withInvitation: Boolean(input.invitationCode) } },
        () => changed('adopters', release.register(input)),
        (a) => ({ adopter: a.id, status: a.status, accessLevel: a.accessLevel }),
      ),
    'release.adopters.list': ({ status }) => release.adopters.list(status),
    'release.adopters.decide': ({ id, decision, accessLevel }, ctx) =>
      audited(
        ctx,
        { action: `release.adopter.${decision}`, target: id, details: { accessLevel: accessLevel ?? null } },
        () => changed('adopters', decision === 'approve' ? { adopter: release.adopters.approve(id, accessLevel), promoted: null } : release.adopters.reject(id)),
        (r) => ({ status: r.adopter.status, promoted: r.promoted?.id ?? null }),
      ),
    // The code is a credential: only its last characters (the hint) reach the audit log.
    'release.adopters.invite': ({ accessLevel, days }, ctx) =>
      audited(ctx, { action: 'release.invitation.create', target: accessLevel, details: { days } }, () => changed('invitations', release.invite(accessLevel, days)), (r) => ({ hint: r.hint, expiresAt: r.expiresAt })),
    'release.adopters.invitations': () => release.adopters.invitations(),
    'release.feedback.submit': (input, ctx) =>
      audited(
        ctx,
        { action: 'release.feedback.submit', target: input.adopterId ?? 'anonymous', details: { type: input.type, severity: input.severity, category: input.category } },
        () => changed('feedback', release.submitFeedback(input)),
        (item) => ({ feedback: item.id }),
      ),
    'release.feedback.list': ({ status, overdue }) => release.feedback.list({ ...(status ? { status } : {}), ...(overdue !== undefined ? { overdue } : {}) }),
    'release.feedback.respond': ({ id, response }, ctx) => audited(ctx, { action: 'release.feedback.respond', target: `feedback#${id}` }, () => changed('feedback', release.feedback.respond(id, response))),
    'release.feedback.resolve': ({ id, resolution, response }, ctx) =>
      audited(ctx, { action: 'release.feedback.resolve', target: `feedback#${id}`, details: { resolution } }, () => changed('feedback', release.resolveFeedback(id, resolution, response)), (r) => ({ reputation: r.reputation })),
    // Telemetry is not audited: an audit entry per usage event would defeat the point of opting out.
    'release.telemetry.record': ({ event, properties, userId }) => release.telemetry.record(event, properties ?? {}, userId),
    'release.telemetry.optOut': ({ optOut }, ctx) =>
      audited(ctx, { action: 'release.telemetry.opt-out', target: optOut ? 'out' : 'in' }, () => changed('telemetry', release.telemetry.setOptOut(optOut)), (r) => ({ deleted: r.deleted })),
    'release.status': () => release.status(),
    'release.rollbackToV3': (_input, ctx) =>
      audited(ctx, { action: 'release.rollback', target: 'v3', safety: 'dangerous' }, async () => changed('rollback', await release.rollback.toV3(actorOf(ctx))), (r) => ({ backup: r.backupFile, flagsTurnedOff: r.flagsTurnedOff, agents: r.agents.length })),
    'release.rollforwardToV4': (_input, ctx) =>
      audited(ctx, { action: 'release.rollforward', target: 'v4', safety: 'dangerous' }, async () => changed('rollback', await release.rollback.toV4(actorOf(ctx))), (r) => ({ flagsTurnedOn: r.flagsTurnedOn, agents: r.agents.length })),
  }
}
