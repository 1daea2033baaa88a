import { useEffect, useState } from 'react'
import type { AuditEntry, InclusionProof } from '../../../src-main/api/contract'
import { api } from '../../api/client'
import { errorMessage } from '../../lib/errors'
import { checkInclusion } from './proof'

/** One entry in full, with its inclusion proof checked here in the window. */
export function EntryDetail({ entry, reviewing, onClose }: { entry: AuditEntry; reviewing: boolean; onClose(): void }) {
  const [proof, setProof] = useState<InclusionProof | null>(null)
  const [checked, setChecked] = useState<boolean | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    setProof(null)
    setChecked(null)
    setError(null)
    if (reviewing) return
    let live = true
    api
      .call('audit.proof', { seq: entry.seq })
      .then(async (p) => {
        if (!live) return
        setProof(p)
        const ok = await checkInclusion(p.seq, p.treeSize, p.leafHash, p.path, p.rootHash)
        if (live) setChecked(ok)
      })
      .catch((err) => live && setError(errorMessage(err)))
    return () => {
      live = false
    }
  }, [entry.seq, reviewing])

  return (
    <aside className="audit-detail" data-testid="audit-detail" aria-label={`Audit entry ${entry.seq}`}>
      <header>
        <h2>Entry #{entry.seq}</h2>
        <button className="btn btn-ghost btn-small" onClick={onClose} aria-label="Close (Esc)">
          ✕
        </button>
      </header>
      <dl>
        <dt>Time</dt>
        <dd>{entry.time}</dd>
        <dt>Actor</dt>
        <dd>{entry.actor}</dd>
        <dt>Action</dt>
        <dd className="mono">{entry.action}</dd>
        <dt>Target</dt>
        <dd>{entry.target || '—'}</dd>
        <dt>Intent</dt>
        <dd>{entry.intentId ?? '—'}</dd>
        <dt>Safety</dt>
        <dd>{entry.safety ?? '—'}</dd>
        <dt>Outcome</dt>
        <dd>{entry.outcome}</dd>
      </dl>
      <h3>Details</h3>
      <pre className="audit-json">{pretty(entry.details)}</pre>
      <h3>Inclusion proof</h3>
      {reviewing && <p className="faint">Every entry of the bundle was checked against its signed head when the bundle was opened.</p>}
      {error && <p className="error-text">{error}</p>}
      {proof && (
        <div data-testid="audit-proof" className="audit-proof">
          <p className={checked ? 'proof-ok' : checked === false ? 'proof-bad' : 'faint'}>
            {checked === null ? 'Checking…' : checked ? '✓ Proof checked in this window (SHA-256, RFC 9162)' : '✕ The proof does not lead to the root'}
          </p>
          <dl>
            <dt>Tree size</dt>
            <dd>{proof.treeSize.toLocaleString()}</dd>
            <dt>Leaf hash</dt>
            <dd className="mono">{proof.leafHash}</dd>
            <dt>Root</dt>
            <dd className="mono">{proof.rootHash}</dd>
          </dl>
          <ol className="audit-path mono">
            {proof.path.map((h, i) => (
              <li key={i}>{h}</li>
            ))}
          </ol>
          {proof.head ? <pre className="audit-json">{proof.head.note}</pre> : <p className="faint">Not yet covered by a signed head; the next one is signed within a minute.</p>}
        </div>
      )}
    </aside>
  )
}

function pretty(details: string): string {
  try {
    return JSON.stringify(JSON.parse(details), null, 2)
  } catch {
    return details
  }
}
