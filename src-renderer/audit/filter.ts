import type { AuditFilter } from '../../src-main/api/contract'

/** The filter fields as typed: plain strings, '' for "any". Dates are `<input type="datetime-local">` values. */
export interface FilterForm {
  text: string
  safety: string
  outcome: string
  actor: string
  action: string
  from: string
  to: string
}

export const EMPTY_FORM: FilterForm = { text: '', safety: '', outcome: '', actor: '', action: '', from: '', to: '' }

export const SAFETY_LEVELS = ['safe', 'caution', 'dangerous', 'critical'] as const
export const OUTCOMES = ['ok', 'failed', 'declined'] as const

/** The filter the host gets: empty fields left out, local date-times as ISO instants. */
export function filterOf(form: FilterForm): AuditFilter {
  const filter: AuditFilter = {}
  const text = form.text.trim()
  if (text) filter.text = text
  if ((SAFETY_LEVELS as readonly string[]).includes(form.safety)) filter.safety = form.safety as AuditFilter['safety']
  if (form.outcome.trim()) filter.outcome = form.outcome.trim()
  if (form.actor.trim()) filter.actor = form.actor.trim()
  if (form.action.trim()) filter.action = form.action.trim()
  const from = isoOf(form.from)
  if (from) filter.from = from
  // "To 14:05" reads as "up to the end of 14:05": the input has minute precision, entries have milliseconds.
  const to = isoOf(form.to, /T\d\d:\d\d$/.test(form.to) ? 59_999 : 0)
  if (to) filter.to = to
  return filter
}

export const isFiltering = (filter: AuditFilter) => Object.keys(filter).length > 0

export const filterKey = (filter: AuditFilter) => JSON.stringify(filter)

export const isEmptyForm = (form: FilterForm) => Object.values(form).every((v) => !v)

/** A datetime-local value is local time; the host compares UTC instants. */
function isoOf(local: string, plusMs = 0): string | undefined {
  if (!local) return undefined
  const date = new Date(local)
  return Number.isNaN(date.getTime()) ? undefined : new Date(date.getTime() + plusMs).toISOString()
}
