import type { ReactNode } from 'react'
import type { VerifyReport } from '../../../src-main/api/contract'
import { CopyButton } from '../../components/CopyButton'
import { Icon } from '../../components/Icon'
import { baseName, formatBytes, formatDate } from '../../lib/format'
import { MAX_BUNDLE_BYTES, useAudit, type AuditTask, type BundleProblem } from '../../stores/audit'
import { short } from './AuditHeader'

/** Everything the view has to say above the table: progress, verdicts, results, problems. */
export function AuditNotices() {
  const task = useAudit((s) => s.task)
  const verdict = useAudit((s) => s.verdict)
  const exported = useAudit((s) => s.exported)
  const bundleProblem = useAudit((s) => s.bundleProblem)
  const review = useAudit((s) => s.review)
  const dismiss = useAudit((s) => s.dismiss)
  return (
    <>
      {task && task.operation !== 'sign' && <TaskProgress task={task} />}
      {verdict && <Verdict report={verdict} onDismiss={() => dismiss('verdict')} />}
      {exported && (
        <Notice tone="ok" testId="audit-export-result" onDismiss={() => dismiss('exported')}>
          <p>
            Exported {exported.entries.toLocaleString()} {exported.complete ? 'entries (the whole log)' : 'matching entries'} · {formatBytes(exported.bytes)}
          </p>
          <p className="audit-notice-path">
            <code>{exported.file}</code>
            <CopyButton value={exported.file} label="path of the bundle" />
          </p>
          <p className="muted">
            Anyone can check it with <code>dwcp audit verify {baseName(exported.file)}</code>, or open it here with “Open bundle…”.
          </p>
        </Notice>
      )}
      {bundleProblem && (
        <Notice tone="bad" testId="audit-bundle-problem" onDismiss={() => dismiss('bundleProblem')}>
          <BundleProblemText problem={bundleProblem} />
        </Notice>
      )}
      {review && <ReviewBanner />}
    </>
  )
}

function BundleProblemText({ problem }: { problem: BundleProblem }) {
  if (problem.kind === 'failed')
    return (
      <p>
        <strong>Could not open {problem.name}</strong>: {problem.message}
      </p>
    )
  return (
    <>
      <p>
        <strong>{problem.name} is too large to open here</strong> ({formatBytes(problem.bytes)}; this window can send the host at most {formatBytes(MAX_BUNDLE_BYTES)}).
      </p>
      <p>
        Verify it from a terminal instead, where the file is read in place: <code>dwcp audit verify {problem.name}</code>
      </p>
    </>
  )
}

const TASK_LABEL: Record<AuditTask['operation'], string> = {
  verify: 'Verifying every entry and signed head',
  export: 'Exporting',
  open: 'Reading and verifying the bundle',
  sign: 'Signing',
}

function TaskProgress({ task }: { task: AuditTask }) {
  const fraction = task.total > 0 ? Math.min(1, task.done / task.total) : null
  return (
    <div className="audit-progress" data-testid="audit-progress" data-operation={task.operation}>
      <span className="audit-progress-label" id="audit-progress-label">
        {TASK_LABEL[task.operation]}…
        {fraction !== null && (
          <span className="muted">
            {' '}
            {task.done.toLocaleString()} of {task.total.toLocaleString()}
          </span>
        )}
      </span>
      <div
        className="progress-track"
        role="progressbar"
        aria-labelledby="audit-progress-label"
        aria-valuemin={0}
        aria-valuemax={task.total || undefined}
        aria-valuenow={fraction !== null ? task.done : undefined}
      >
        {/* Until the host says how much there is, the bar only says that something happens. */}
        <div className={fraction === null ? 'progress-bar progress-indeterminate' : 'progress-bar'} style={fraction === null ? undefined : { width: `${fraction * 100}%` }} />
      </div>
    </div>
  )
}

function Verdict({ report, onDismiss }: { report: VerifyReport; onDismiss(): void }) {
  const key = report.keyFingerprints[0]
  return (
    <Notice tone={report.ok ? 'ok' : 'bad'} testId="audit-verdict" ok={report.ok} onDismiss={onDismiss}>
      {report.ok ? (
        <p>
          <strong>Verified {report.entries.toLocaleString()} entries and {report.heads.toLocaleString()} signed {report.heads === 1 ? 'head' : 'heads'}</strong>
          <span className="muted">
            {' '}
            · root <code title={report.rootHash}>{short(report.rootHash)}</code>
            {key && (
              <>
                {' '}
                · key <code title={key}>{short(key)}</code>
              </>
            )}{' '}
            · {formatDuration(report.durationMs)}
          </span>
        </p>
      ) : (
        <>
          <p>
            <strong>Verification failed</strong>
            {typeof report.problem?.seq === 'number' && <> at entry #{report.problem.seq.toLocaleString()}</>}
            {typeof report.problem?.headId === 'number' && <> (signed head {report.problem.headId})</>}
          </p>
          <p>{report.problem?.message ?? 'The host gave no reason.'}</p>
          {typeof report.problem?.seq === 'number' && <p className="muted">The entry is highlighted in the table below, with the filters cleared so it can be seen.</p>}
        </>
      )}
    </Notice>
  )
}

function ReviewBanner() {
  const review = useAudit((s) => s.review)!
  const closeReview = useAudit((s) => s.closeReview)
  const ok = review.verdict.ok
  return (
    <div className={`audit-review ${ok ? 'audit-review-ok' : 'audit-review-bad'}`} data-testid="audit-review-banner" role="region" aria-label="Bundle under review">
      <Icon name={ok ? 'check' : 'alert'} size={18} className="audit-review-icon" />
      <div className="audit-review-text">
        <p>
          <strong>Reviewing {baseName(review.file)}</strong> <span className="badge">read-only</span>{' '}
          {ok ? (
            <span className="badge badge-ok" data-testid="audit-review-verdict">
              verified ✓
            </span>
          ) : (
            <span className="badge badge-bad" data-testid="audit-review-verdict">
              FAILED
            </span>
          )}
        </p>
        {!ok && <p className="audit-review-problem">{review.verdict.problem?.message ?? 'The bundle did not verify.'}</p>}
        <p className="muted">
          {review.entryCount.toLocaleString()} {review.entryCount === 1 ? 'entry' : 'entries'} {review.complete ? '(the whole log)' : '(filtered)'} · exported{' '}
          {formatDate(review.exportedAt)} · signed by key <code title={review.keyFingerprint}>{short(review.keyFingerprint)}</code> ·{' '}
          {review.fromThisInstallation ? (
            <span>this installation</span>
          ) : (
            <strong className="audit-foreign">another installation: compare the key with the one its owner gives you</strong>
          )}
        </p>
      </div>
      <button type="button" className="btn btn-small" onClick={closeReview} data-testid="audit-close-review">
        Close review
      </button>
    </div>
  )
}

function Notice({ tone, testId, ok, onDismiss, children }: { tone: 'ok' | 'bad'; testId: string; ok?: boolean; onDismiss(): void; children: ReactNode }) {
  return (
    <div className={`notice audit-notice audit-notice-${tone}`} role={tone === 'bad' ? 'alert' : 'status'} data-testid={testId} data-ok={ok === undefined ? undefined : String(ok)}>
      <Icon name={tone === 'ok' ? 'check' : 'alert'} size={16} className="notice-icon" />
      <div>{children}</div>
      <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>
        <Icon name="close" size={14} />
      </button>
    </div>
  )
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}
