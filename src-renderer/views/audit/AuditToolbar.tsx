import { useEffect, useRef } from 'react'
import type { AuditFilter, AuditStatus } from '../../../src-main/api/contract'
import { formatDate } from '../../lib/format'

interface Props {
  status: AuditStatus | null
  form: AuditFilter
  setForm(form: AuditFilter): void
  busy: boolean
  reviewing: boolean
  onVerify(): void
  onExport(): void
  onOpenBundle(file: File): void
  onSign(): void
}

/** The log's vital signs, its filters, and what can be done with it. */
export function AuditToolbar({ status, form, setForm, busy, reviewing, onVerify, onExport, onOpenBundle, onSign }: Props) {
  const search = useRef<HTMLInputElement>(null)
  const file = useRef<HTMLInputElement>(null)
  const set = (key: keyof AuditFilter) => (event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm({ ...form, [key]: event.target.value })

  // "/" jumps to the search box, as in most log viewers, unless the user is typing somewhere.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement || event.target instanceof HTMLSelectElement
      if (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey) {
        event.preventDefault()
        search.current?.focus()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  const head = status?.latestHead
  return (
    <div className="audit-toolbar">
      <div className="audit-status" data-testid="audit-status">
        <span>
          <strong>{(status?.size ?? 0).toLocaleString()}</strong> entries
        </span>
        <span title={status?.rootHash}>root <code>{status?.rootHash.slice(0, 12) ?? '—'}…</code></span>
        <span>{head ? `last signed at ${head.size.toLocaleString()} entries, ${formatDate(head.madeAt)}` : 'no signed head yet'}</span>
        <span title={status?.keyFingerprint}>
          key <code>{status?.keyFingerprint.slice(0, 12) ?? '—'}…</code> (ML-DSA-65)
        </span>
        <span className="audit-actions">
          <button className="btn btn-small" data-testid="audit-sign" onClick={onSign} disabled={busy || reviewing}>
            Sign head now
          </button>
          <button className="btn btn-small" data-testid="audit-export" onClick={onExport} disabled={busy || reviewing}>
            Export…
          </button>
          <button className="btn btn-small" data-testid="audit-open-bundle" onClick={() => file.current?.click()} disabled={busy}>
            Open bundle…
          </button>
          <input
            ref={file}
            type="file"
            accept=".dwcpaudit"
            hidden
            data-testid="audit-bundle-input"
            onChange={(e) => {
              const chosen = e.target.files?.[0]
              e.target.value = ''
              if (chosen) onOpenBundle(chosen)
            }}
          />
          <button className="btn btn-primary btn-small" data-testid="audit-verify" onClick={onVerify} disabled={busy || reviewing}>
            Verify integrity
          </button>
        </span>
      </div>
      {!reviewing && (
        <div className="audit-filters">
          <input ref={search} className="input audit-search" type="search" placeholder="Search action, target, details   ( / )" value={form.text ?? ''} onChange={set('text')} data-testid="audit-search" aria-label="Full-text search" />
          <select className="input" value={form.safety ?? ''} onChange={set('safety')} data-testid="audit-filter-safety" aria-label="Safety">
            <option value="">Any safety</option>
            {['safe', 'caution', 'dangerous', 'critical'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <select className="input" value={form.outcome ?? ''} onChange={set('outcome')} aria-label="Outcome">
            <option value="">Any outcome</option>
            {['ok', 'failed', 'declined'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <input className="input" placeholder="Actor" value={form.actor ?? ''} onChange={set('actor')} aria-label="Actor" />
          <input className="input" placeholder="Action" value={form.action ?? ''} onChange={set('action')} aria-label="Action" />
          <input className="input" type="datetime-local" value={form.from ?? ''} onChange={set('from')} aria-label="From" title="From" />
          <input className="input" type="datetime-local" value={form.to ?? ''} onChange={set('to')} aria-label="To" title="To" />
          <button className="btn btn-ghost btn-small" onClick={() => setForm({})} disabled={Object.values(form).every((v) => !v)}>
            Clear
          </button>
        </div>
      )}
    </div>
  )
}
