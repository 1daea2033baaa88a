/**
 * Adopters' feedback with its response clocks: every item is owed a first response within 24 h,
 * and a critical bug a fix within 48 h. An item past a clock that has not stopped is overdue.
 */
import type Database from 'better-sqlite3'
import { ReleaseError } from './errors'

export const FIRST_RESPONSE_MS = 24 * 3_600_000
export const CRITICAL_FIX_MS = 48 * 3_600_000

export const FEEDBACK_TYPES = ['bug', 'feature', 'improvement', 'question'] as const
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const
export const RESOLUTIONS = ['fixed', 'accepted', 'answered', 'duplicate', 'invalid', 'wontfix'] as const
export type Resolution = (typeof RESOLUTIONS)[number]

export interface FeedbackInput {
  adopterId?: string
  type: (typeof FEEDBACK_TYPES)[number]
  category: string
  severity: (typeof SEVERITIES)[number]
  title: string
  description: string
}

export interface Clock {
  dueAt: string
  metAt: string | null
  /** met: stopped in time; late: stopped after the due time; running; overdue: still running past due. */
  state: 'met' | 'late' | 'running' | 'overdue'
  /** Milliseconds left (negative when overdue); null once stopped. */
  remainingMs: number | null
}

export interface FeedbackItem extends FeedbackInput {
  id: number
  adopterId?: string
  status: 'open' | 'responded' | 'resolved'
  resolution: Resolution | null
  response: string | null
  createdAt: string
  firstResponse: Clock
  /** Only critical bugs carry a fix clock. */
  criticalFix: Clock | null
  overdue: boolean
}

interface FeedbackRow {
  id: number
  adopter_id: string | null
  type: FeedbackInput['type']
  category: string
  severity: FeedbackInput['severity']
  title: string
  description: string
  status: FeedbackItem['status']
  resolution: Resolution | null
  response: string | null
  created_at: string
  first_response_at: string | null
  resolved_at: string | null
}

/** Reputation points a resolution earns the adopter who reported it: useful reports count, noise costs. */
export function qualityPoints(item: Pick<FeedbackInput, 'type' | 'severity' | 'description'>, resolution: Resolution): number {
  const base = { fixed: 10, accepted: 8, answered: 2, duplicate: 1, invalid: -5, wontfix: 2 }[resolution]
  const severityBonus = item.type === 'bug' && (resolution === 'fixed' || resolution === 'accepted') ? { low: 0, medium: 2, high: 5, critical: 10 }[item.severity] : 0
  // A report someone can act on without asking back: a description of some substance.
  const detailBonus = base > 0 && item.description.trim().length >= 120 ? 3 : 0
  return base + severityBonus + detailBonus
}

export class FeedbackQueue {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {}

  submit(input: FeedbackInput): FeedbackItem {
    const info = this.db
      .prepare('INSERT INTO release_feedback (adopter_id, type, category, severity, title, description, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(input.adopterId ?? null, input.type, input.category.trim(), input.severity, input.title.trim(), input.description, 'open', new Date(this.now()).toISOString())
    return this.require(Number(info.lastInsertRowid))
  }

  list(filter: { status?: FeedbackItem['status']; overdue?: boolean } = {}): FeedbackItem[] {
    const rows = (filter.status
      ? this.db.prepare('SELECT * FROM release_feedback WHERE status = ? ORDER BY id DESC').all(filter.status)
      : this.db.prepare('SELECT * FROM release_feedback ORDER BY id DESC').all()) as FeedbackRow[]
    const items = rows.map((r) => this.view(r))
    return filter.overdue ? items.filter((i) => i.overdue) : items
  }

  require(id: number): FeedbackItem {
    const row = this.db.prepare('SELECT * FROM release_feedback WHERE id = ?').get(id) as FeedbackRow | undefined
    if (!row) throw new ReleaseError(`no feedback #${id}`, 'not_found')
    return this.view(row)
  }

  /** The first response stops the 24 h clock; later responses replace the text only. */
  respond(id: number, response: string): FeedbackItem {
    const item = this.require(id)
    const at = new Date(this.now()).toISOString()
    this.db
      .prepare(`UPDATE release_feedback SET response = ?, first_response_at = COALESCE(first_response_at, ?), status = CASE WHEN status = 'open' THEN 'responded' ELSE status END WHERE id = ?`)
      .run(response, at, item.id)
    return this.require(id)
  }

  /** Resolving also counts as the first response if none was given; returns the reputation it earns. */
  resolve(id: number, resolution: Resolution, response?: string): { item: FeedbackItem; reputation: number } {
    const item = this.require(id)
    if (item.status === 'resolved') throw new ReleaseError(`feedback #${id} is resolved already (${item.resolution})`, 'conflict')
    const at = new Date(this.now()).toISOString()
    this.db
      .prepare(`UPDATE release_feedback SET status = 'resolved', resolution = ?, response = COALESCE(?, response), first_response_at = COALESCE(first_response_at, ?), resolved_at = ? WHERE id = ?`)
      .run(resolution, response ?? null, at, at, id)
    return { item: this.require(id), reputation: qualityPoints(item, resolution) }
  }

  /** Critical bug reports not resolved yet. */
  openCriticalBugs(): number {
    return this.db.prepare(`SELECT COUNT(*) FROM release_feedback WHERE type = 'bug' AND severity = 'critical' AND status != 'resolved'`).pluck().get() as number
  }

  /** Clocks that have stopped or run out: how many were kept. Running clocks within time are not judged yet. */
  slaCompliance(): { judged: number; met: number; overdue: number } {
    let judged = 0
    let met = 0
    let overdue = 0
    for (const item of this.list()) {
      for (const clock of [item.firstResponse, item.criticalFix]) {
        if (!clock || clock.state === 'running') continue
        judged++
        if (clock.state === 'met') met++
        if (clock.state === 'overdue') overdue++
      }
    }
    return { judged, met, overdue }
  }

  private view(r: FeedbackRow): FeedbackItem {
    const created = Date.parse(r.created_at)
    const firstResponse = this.clock(created + FIRST_RESPONSE_MS, r.first_response_at)
    const criticalFix = r.type === 'bug' && r.severity === 'critical' ? this.clock(created + CRITICAL_FIX_MS, r.resolved_at) : null
    return {
      id: r.id,
      ...(r.adopter_id ? { adopterId: r.adopter_id } : {}),
      type: r.type,
      category: r.category,
      severity: r.severity,
      title: r.title,
      description: r.description,
      status: r.status,
      resolution: r.resolution,
      response: r.response,
      createdAt: r.created_at,
      firstResponse,
      criticalFix,
      overdue: firstResponse.state === 'overdue' || criticalFix?.state === 'overdue',
    }
  }

  private clock(due: number, stoppedAt: string | null): Clock {
    const dueAt = new Date(due).toISOString()
    if (stoppedAt) return { dueAt, metAt: stoppedAt, state: Date.parse(stoppedAt) <= due ? 'met' : 'late', remainingMs: null }
    const remainingMs = due - this.now()
    return { dueAt, metAt: null, state: remainingMs >= 0 ? 'running' : 'overdue', remainingMs }
  }
}
