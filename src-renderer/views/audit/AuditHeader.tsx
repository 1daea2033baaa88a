import { useEffect, useState } from 'react'
import { CopyButton } from '../../components/CopyButton'
import { formatDate, formatRelative } from '../../lib/format'
import { useAudit } from '../../stores/audit'

/** The log's vital signs (size, root, latest signed head, key) and what can be done with the log. */
export function AuditHeader() {
  const status = useAudit((s) => s.status)
  const head = status?.latestHead ?? null
  const now = useNow(30_000)
  return (
    <div className="audit-header" data-testid="audit-status">
      <dl className="audit-facts">
        <Fact label="Entries">
          <span className="audit-fact-number" data-testid="audit-size">
            {status ? status.size.toLocaleString() : '…'}
          </span>
        </Fact>
        <Fact label="Root hash">
          <code title={status?.rootHash}>{status ? short(status.rootHash) : '…'}</code>
          {status && <CopyButton value={status.rootHash} label="root hash" />}
        </Fact>
        <Fact label="Latest signed head">
          {head ? (
            <span title={`${formatDate(head.madeAt)} · ${head.reason}`}>
              {head.size.toLocaleString()} entries · {formatRelative(head.madeAt, now)}
            </span>
          ) : (
            <span className="faint">{status ? 'none yet' : '…'}</span>
          )}
        </Fact>
        <Fact label="Signing key">
          <code title={status ? `ML-DSA-65 key, SHA-256 fingerprint ${status.keyFingerprint}` : undefined}>{status ? short(status.keyFingerprint) : '…'}</code>
          {status && <CopyButton value={status.keyFingerprint} label="key fingerprint" testId="audit-key-copy" />}
        </Fact>
      </dl>
      <IntegrityActions />
    </div>
  )
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="audit-fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  )
}

/** Sign and verify: what concerns the log's integrity, beside the facts they change. */
function IntegrityActions() {
  const task = useAudit((s) => s.task)
  const reviewing = useAudit((s) => s.review !== null)
  const { sign, verify } = useAudit.getState()
  const busy = task !== null
  return (
    <div className="audit-actions">
      <button type="button" className="btn btn-small" data-testid="audit-sign" onClick={() => void sign()} disabled={busy || reviewing} title="Sign the current tree head with this installation’s key">
        {task?.operation === 'sign' ? 'Signing…' : 'Sign head now'}
      </button>
      <button type="button" className="btn btn-primary btn-small" data-testid="audit-verify" onClick={() => void verify()} disabled={busy || reviewing} title="Recompute every leaf and the tree, and check every signed head">
        {task?.operation === 'verify' ? 'Verifying…' : 'Verify integrity'}
      </button>
    </div>
  )
}

/** Hashes and fingerprints are long; the first 12 characters are enough to tell two apart at a glance. */
export const short = (hash: string) => (hash.length > 14 ? `${hash.slice(0, 12)}…` : hash)

/** The current time, refreshed every `ms`, for "5 min ago" labels that must not go stale. */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(timer)
  }, [ms])
  return now
}
