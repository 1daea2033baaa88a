/** Calls and events of the Release manager (issue #7): flags, early adopters, feedback, telemetry, readiness, rollback to v3. */
import { z } from 'zod'
import { def } from './base'

const FlagName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'flag names are lowercase letters, digits and _, starting with a letter, at most 64')
const Environment = z.enum(['alpha', 'beta', 'production'])
const UserId = z.string().trim().min(1).max(200)
const AccessLevel = z.enum(['basic', 'advanced', 'full', 'experimental'])
const AdopterId = z.string().regex(/^ad_[0-9a-f]{12}$/, 'an adopter id looks like ad_0123456789ab')
const IsoTime = z.string().max(40).refine((t) => !Number.isNaN(Date.parse(t)), 'not a date/time (ISO 8601)')
/** GET routes carry their input in the query string, where everything is text. */
const QueryBool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])

export const ReleaseFlag = z.object({
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  rollout: z.number().int(),
  users: z.array(z.string()),
  environments: z.array(Environment),
  dependencies: z.array(z.string()),
  expiresAt: z.string().nullable(),
  v4Only: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type ReleaseFlag = z.infer<typeof ReleaseFlag>

export const FlagEvaluation = z.object({ user: z.string().nullable(), enabled: z.boolean(), reason: z.string() })
export type FlagEvaluation = z.infer<typeof FlagEvaluation>

export const Adopter = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  organization: z.string(),
  useCase: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'waitlisted']),
  accessLevel: AccessLevel,
  reputation: z.number().int(),
  appliedAt: z.string(),
  decidedAt: z.string().nullable(),
})
export type Adopter = z.infer<typeof Adopter>

const Clock = z.object({ dueAt: z.string(), metAt: z.string().nullable(), state: z.enum(['met', 'late', 'running', 'overdue']), remainingMs: z.number().nullable() })
const FeedbackType = z.enum(['bug', 'feature', 'improvement', 'question'])
const Severity = z.enum(['low', 'medium', 'high', 'critical'])
const Resolution = z.enum(['fixed', 'accepted', 'answered', 'duplicate', 'invalid', 'wontfix'])

export const FeedbackItem = z.object({
  id: z.number().int(),
  adopterId: z.string().optional(),
  type: FeedbackType,
  category: z.string(),
  severity: Severity,
  title: z.string(),
  description: z.string(),
  status: z.enum(['open', 'responded', 'resolved']),
  resolution: Resolution.nullable(),
  response: z.string().nullable(),
  createdAt: z.string(),
  firstResponse: Clock,
  criticalFix: Clock.nullable(),
  overdue: z.boolean(),
})
export type FeedbackItem = z.infer<typeof FeedbackItem>

export const Readiness = z.object({
  score: z.number(),
  threshold: z.number(),
  recommendedForProduction: z.boolean(),
  parts: z.array(z.object({ id: z.enum(['critical_bugs', 'sla', 'adoption', 'benchmarks']), label: z.string(), weight: z.number(), points: z.number(), detail: z.string() })),
  benchmarks: z.array(z.object({ bench: z.string(), key: z.string(), goal: z.string(), value: z.number(), met: z.boolean(), at: z.string() })),
})
export type Readiness = z.infer<typeof Readiness>

const AgentRenegotiation = z.object({ agent: z.string(), version: z.string(), ok: z.boolean(), error: z.string().optional() })

export const RollbackRecord = z.object({
  id: z.number().int(),
  at: z.string(),
  backupFile: z.string(),
  flagsTurnedOff: z.array(z.string()),
  protocolBefore: z.string().nullable(),
  agents: z.array(AgentRenegotiation),
  rolledForwardAt: z.string().nullable(),
})
export type RollbackRecord = z.infer<typeof RollbackRecord>

export const ProtocolPinState = z.object({ pinned: z.string().nullable(), rolledBack: z.boolean(), protocolPeer: z.boolean(), last: RollbackRecord.nullable() })

export const TelemetrySummary = z.object({
  optedOut: z.boolean(),
  rows: z.number().int(),
  retentionDays: z.number(),
  oldest: z.string().nullable(),
  events: z.array(z.object({ event: z.string(), count: z.number().int() })),
})

export const AlphaStatus = z.object({
  environment: Environment,
  protocol: ProtocolPinState,
  flags: z.array(z.object({ name: z.string(), enabled: z.boolean(), rollout: z.number().int(), effective: z.string() })),
  adopters: z.object({ pending: z.number().int(), approved: z.number().int(), rejected: z.number().int(), waitlisted: z.number().int(), capacity: z.number().int() }),
  feedback: z.object({
    open: z.number().int(),
    overdue: z.number().int(),
    openCriticalBugs: z.number().int(),
    sla: z.object({ judged: z.number().int(), met: z.number().int(), overdue: z.number().int() }),
  }),
  telemetry: TelemetrySummary,
  readiness: Readiness,
})
export type AlphaStatus = z.infer<typeof AlphaStatus>

export const FlagSetInput = z
  .object({
    name: FlagName,
    description: z.string().max(500).optional(),
    enabled: z.boolean().optional(),
    rollout: z.number().int().min(0).max(100).optional(),
    users: z.array(UserId).max(10_000).optional(),
    environments: z.array(Environment).max(3).optional(),
    dependencies: z.array(FlagName).max(32).optional(),
    /** null removes the expiry. */
    expiresAt: IsoTime.nullable().optional(),
    v4Only: z.boolean().optional(),
  })
  .strict()

export const releaseMethods = {
  'release.flags.list': def({ summary: 'Every feature flag with its rollout, users, environments, dependencies and expiry', input: z.object({}).strict(), output: z.array(ReleaseFlag), rest: { method: 'GET', path: '/v4/release/flags' } }),
  'release.flags.set': def({
    summary: 'Create a flag, or change the given fields of an existing one',
    input: FlagSetInput,
    output: z.object({ flag: ReleaseFlag, created: z.boolean() }),
    rest: { method: 'POST', path: '/v4/release/flags' },
  }),
  'release.flags.delete': def({ summary: 'Delete a flag no other flag depends on', input: z.object({ name: FlagName }).strict(), output: ReleaseFlag, rest: { method: 'POST', path: '/v4/release/flags/delete' } }),
  'release.flags.evaluate': def({
    summary: 'Whether a flag is on for each user, and why',
    input: z.object({ name: FlagName, users: z.array(UserId).max(10_000) }).strict(),
    output: z.array(FlagEvaluation),
    rest: { method: 'POST', path: '/v4/release/flags/evaluate' },
  }),
  'release.environment.set': def({ summary: 'Which environment this installation is (alpha, beta, production): flags limited to others are off', input: z.object({ environment: Environment }).strict(), output: z.object({ environment: Environment }), rest: { method: 'POST', path: '/v4/release/environment' } }),
  'release.adopters.register': def({
    summary: 'Apply to the early-adopter program; a valid invitation code approves at its access level (waitlisted when full)',
    input: z
      .object({
        name: z.string().trim().min(1).max(200),
        email: z.string().trim().max(254).regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'not an email address'),
        organization: z.string().max(200).optional(),
        useCase: z.string().max(2000).optional(),
        invitationCode: z.string().trim().max(64).optional(),
      })
      .strict(),
    output: Adopter,
    rest: { method: 'POST', path: '/v4/alpha/adopter/register' },
  }),
  'release.adopters.list': def({ summary: 'Applications and adopters, oldest first', input: z.object({ status: z.enum(['pending', 'approved', 'rejected', 'waitlisted']).optional() }).strict(), output: z.array(Adopter), rest: { method: 'GET', path: '/v4/alpha/adopters' } }),
  'release.adopters.decide': def({
    summary: 'Approve (waitlisted when the program is full) or reject an adopter, or change an approved adopter’s access level',
    input: z.object({ id: AdopterId, decision: z.enum(['approve', 'reject']), accessLevel: AccessLevel.optional() }).strict(),
    output: z.object({ adopter: Adopter, promoted: Adopter.nullable() }),
    rest: { method: 'POST', path: '/v4/alpha/adopters/decide' },
  }),
  'release.adopters.invite': def({
    summary: 'Make a single-use invitation code (shown once; only its hash is kept)',
    input: z.object({ accessLevel: AccessLevel, days: z.number().positive().max(90).default(14) }).strict(),
    output: z.object({ code: z.string(), hint: z.string(), accessLevel: AccessLevel, expiresAt: z.string() }),
    rest: { method: 'POST', path: '/v4/alpha/invitations' },
  }),
  'release.adopters.invitations': def({
    summary: 'Invitations made, by the last characters of their code',
    input: z.object({}).strict(),
    output: z.array(z.object({ hint: z.string(), accessLevel: AccessLevel, createdAt: z.string(), expiresAt: z.string(), usedAt: z.string().nullable(), usedBy: z.string().nullable() })),
    rest: { method: 'GET', path: '/v4/alpha/invitations' },
  }),
  'release.feedback.submit': def({
    summary: 'Send feedback; its response clocks start now (first response 24 h, critical bug fixed 48 h)',
    input: z
      .object({
        adopterId: AdopterId.optional(),
        type: FeedbackType,
        category: z.string().trim().min(1).max(100),
        severity: Severity,
        title: z.string().trim().min(1).max(200),
        description: z.string().max(20_000),
      })
      .strict(),
    output: FeedbackItem,
    rest: { method: 'POST', path: '/v4/alpha/feedback' },
  }),
  'release.feedback.list': def({
    summary: 'The feedback queue with each item’s clocks, newest first',
    input: z.object({ status: z.enum(['open', 'responded', 'resolved']).optional(), overdue: QueryBool.optional() }).strict(),
    output: z.array(FeedbackItem),
    rest: { method: 'GET', path: '/v4/alpha/feedback' },
  }),
  'release.feedback.respond': def({ summary: 'Answer feedback (the first answer stops its 24 h clock)', input: z.object({ id: z.number().int().positive(), response: z.string().trim().min(1).max(20_000) }).strict(), output: FeedbackItem, rest: { method: 'POST', path: '/v4/alpha/feedback/respond' } }),
  'release.feedback.resolve': def({
    summary: 'Resolve feedback; the resolution earns or costs the reporter reputation',
    input: z.object({ id: z.number().int().positive(), resolution: Resolution, response: z.string().max(20_000).optional() }).strict(),
    output: z.object({ item: FeedbackItem, reputation: z.number().int() }),
    rest: { method: 'POST', path: '/v4/alpha/feedback/resolve' },
  }),
  'release.telemetry.record': def({
    summary: 'Record a usage event (nothing is stored when the installation opted out; free text and emails are dropped)',
    input: z.object({ event: z.string().max(64), properties: z.record(z.string().max(40), z.unknown()).optional(), userId: UserId.optional() }).strict(),
    output: z.object({ stored: z.boolean(), dropped: z.array(z.string()) }),
    rest: { method: 'POST', path: '/v4/alpha/telemetry' },
  }),
  'release.telemetry.optOut': def({ summary: 'Opt this installation out of telemetry (deleting what was stored) or back in', input: z.object({ optOut: z.boolean() }).strict(), output: z.object({ optedOut: z.boolean(), deleted: z.number().int() }), rest: { method: 'POST', path: '/v4/alpha/telemetry/opt-out' } }),
  'release.status': def({ summary: 'The alpha program at a glance: flags, adopters, feedback clocks, telemetry, readiness and the protocol pin', input: z.object({}).strict(), output: AlphaStatus, rest: { method: 'GET', path: '/v4/alpha/status' } }),
  'release.rollbackToV3': def({
    summary: 'Roll back to protocol v3: verified backup, v4-only flags off, protocol pinned to v3 and renegotiated with every agent',
    input: z.object({}).strict(),
    output: RollbackRecord,
    rest: { method: 'POST', path: '/v4/release/rollback' },
  }),
  'release.rollforwardToV4': def({
    summary: 'Undo the last rollback from its record: its flags back on, the v3 pin lifted',
    input: z.object({}).strict(),
    output: RollbackRecord.extend({ flagsTurnedOn: z.array(z.string()) }),
    rest: { method: 'POST', path: '/v4/release/rollforward' },
  }),
} as const

export const releaseEvents = {
  /** Something in the release manager changed (any client): views refresh. */
  release: z.object({ change: z.string() }),
} as const
