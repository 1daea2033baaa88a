import { useEffect, useRef } from 'react'
import { isEmptyForm, OUTCOMES, SAFETY_LEVELS, type FilterForm } from '../../audit/filter'
import { useAudit } from '../../stores/audit'
import { BundleActions } from './BundleActions'

/** Full-text search and the filters; any of them switches the table to the matching entries. */
export function AuditFilters() {
  const form = useAudit((s) => s.form)
  const { setForm, clearFilters } = useAudit.getState()
  const search = useRef<HTMLInputElement>(null)
  useSlashFocuses(search)

  const bind = (key: keyof FilterForm) => ({
    value: form[key],
    onChange: (event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm({ [key]: event.target.value }),
  })

  return (
    <div className="audit-filters" role="search" aria-label="Filter the audit log">
      <span className="audit-search-wrap">
        <input
          ref={search}
          className="input audit-search"
          type="search"
          placeholder="Search actions, targets and details"
          aria-label="Search actions, targets and details (press / to focus)"
          aria-keyshortcuts="/"
          data-testid="audit-search"
          {...bind('text')}
          onKeyDown={(event) => {
            // Esc empties the box first, then hands the keyboard back to the table.
            if (event.key !== 'Escape') return
            if (form.text) setForm({ text: '' })
            else document.getElementById('audit-grid')?.focus()
            event.stopPropagation()
          }}
        />
        <kbd className="audit-search-key" aria-hidden="true">
          /
        </kbd>
      </span>
      <select className="input" aria-label="Safety" data-testid="audit-filter-safety" {...bind('safety')}>
        <option value="">Any safety</option>
        {SAFETY_LEVELS.map((level) => (
          <option key={level} value={level}>
            {level}
          </option>
        ))}
      </select>
      <select className="input" aria-label="Outcome" data-testid="audit-filter-outcome" {...bind('outcome')}>
        <option value="">Any outcome</option>
        {OUTCOMES.map((outcome) => (
          <option key={outcome} value={outcome}>
            {outcome}
          </option>
        ))}
      </select>
      <input className="input audit-filter-short" placeholder="Actor" aria-label="Actor (exact)" title="Actor, exactly: user, system, agent:…" data-testid="audit-filter-actor" {...bind('actor')} />
      <input className="input audit-filter-short" placeholder="Action" aria-label="Action (exact)" title="Action, exactly: deploy, backup.create…" data-testid="audit-filter-action" {...bind('action')} />
      <span className="audit-range">
        <label>
          <span className="audit-range-label">From</span>
          <input className="input" type="datetime-local" data-testid="audit-filter-from" {...bind('from')} />
        </label>
        <label>
          <span className="audit-range-label">to</span>
          <input className="input" type="datetime-local" data-testid="audit-filter-to" {...bind('to')} />
        </label>
      </span>
      <button type="button" className="btn btn-ghost btn-small" onClick={clearFilters} disabled={isEmptyForm(form)} data-testid="audit-clear-filters">
        Clear filters
      </button>
      <BundleActions />
    </div>
  )
}

/** "/" jumps to the search box, as in most log viewers, unless the user is typing somewhere. */
function useSlashFocuses(target: React.RefObject<HTMLInputElement | null>): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return
      const el = event.target as HTMLElement | null
      if (el?.closest('input, textarea, select, [contenteditable="true"], .xterm')) return
      event.preventDefault()
      target.current?.focus()
      target.current?.select()
    }
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [target])
}
