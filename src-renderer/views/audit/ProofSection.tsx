import { useEffect, useState } from 'react'
import type { AuditEntry, InclusionProof } from '../../../src-main/api/contract'
import { api } from '../../api/client'
import { checkProof, type ProofCheck } from '../../audit/proof'
import { CopyButton } from '../../components/CopyButton'
import { Icon } from '../../components/Icon'
import { errorMessage } from '../../lib/errors'
import { formatDate } from '../../lib/format'

type Loaded = { seq: number; proof: InclusionProof; check: ProofCheck | null } | { seq: number; error: string }

/** The entry's inclusion proof from the host, checked again here before it is called checked. */
export function ProofSection({ entry }: { entry: AuditEntry }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null)

  useEffect(() => {
    let current = true
    // Moving through rows with the arrow keys would ask for a proof per row: wait until the user stops.
    const timer = setTimeout(async () => {
      try {
        const proof = await api.call('audit.proof', { seq: entry.seq })
        if (!current) return
        setLoaded({ seq: entry.seq, proof, check: null })
        const check = await checkProof(entry, proof)
        if (current) setLoaded({ seq: entry.seq, proof, check })
      } catch (err) {
        if (current) setLoaded({ seq: entry.seq, error: errorMessage(err) })
      }
    }, 120)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [entry])

  const state = loaded?.seq === entry.seq ? loaded : null
  return (
    <section className="audit-detail-section" aria-labelledby="audit-proof-title">
      <h3 id="audit-proof-title">Inclusion proof</h3>
      {!state && <p className="muted">Fetching the proof…</p>}
      {state && 'error' in state && <p className="error-text">Could not fetch the proof: {state.error}</p>}
      {state && 'proof' in state && <ProofBody proof={state.proof} check={state.check} />}
    </section>
  )
}

function ProofBody({ proof, check }: { proof: InclusionProof; check: ProofCheck | null }) {
  return (
    <div className="audit-proof" data-testid="audit-proof" data-checked={check ? String(check.ok) : 'pending'}>
      <CheckLine check={check} />
      <dl className="audit-fields">
        <dt>Leaf hash</dt>
        <dd className="audit-hash">
          <code>{proof.leafHash}</code>
          <CopyButton value={proof.leafHash} label="leaf hash" />
        </dd>
        <dt>Tree size</dt>
        <dd>{proof.treeSize.toLocaleString()}</dd>
        <dt>Root hash</dt>
        <dd className="audit-hash">
          <code>{proof.rootHash}</code>
          <CopyButton value={proof.rootHash} label="root hash" />
        </dd>
      </dl>
      <h4>
        Audit path <span className="faint">· {proof.path.length} {proof.path.length === 1 ? 'hash' : 'hashes'}, leaf to root</span>
      </h4>
      {proof.path.length === 0 ? (
        <p className="muted">None: the entry is the whole tree.</p>
      ) : (
        <ol className="audit-path">
          {proof.path.map((hash, i) => (
            <li key={i}>
              <code>{hash}</code>
            </li>
          ))}
        </ol>
      )}
      <h4>Signed head</h4>
      {proof.head ? (
        <>
          <p className="muted audit-head-meta">
            Signed {formatDate(proof.head.madeAt)} · {proof.head.reason}
          </p>
          <pre className="audit-code audit-note" data-testid="audit-proof-note">
            {proof.head.note}
          </pre>
        </>
      ) : (
        <p className="muted">Not covered by a signed head yet: the proof is against the current root. The next head is signed within a minute, or now with “Sign head now”.</p>
      )}
    </div>
  )
}

function CheckLine({ check }: { check: ProofCheck | null }) {
  if (!check) return <p className="audit-check muted">Checking the proof in this window…</p>
  if (check.ok)
    return (
      <p className="audit-check audit-check-ok" data-testid="audit-proof-check">
        <Icon name="check" size={15} /> Proof checked in this window
        <span className="audit-check-how">leaf rehashed from the entry, path hashed to the root (SHA-256, RFC 9162)</span>
      </p>
    )
  return (
    <p className="audit-check audit-check-bad" data-testid="audit-proof-check">
      <Icon name="alert" size={15} /> The proof does not check: {check.reason}
    </p>
  )
}
