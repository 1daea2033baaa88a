import { useEffect, useState } from 'react'
import { api } from '../api/client'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { useConnection } from '../stores/connection'
import { useRelease } from '../stores/release'
import { reportError, reportInfo } from '../stores/toasts'
import { AdoptersCard, TelemetryCard } from './release/ProgramCards'
import { FeedbackCard } from './release/FeedbackCard'
import { FlagsCard } from './release/FlagsCard'
import { ReadinessCard } from './release/ReadinessCard'

/** Clocks and readiness are re-read this often while the view is open; changes by anyone arrive as events. */
const REFRESH_MS = 10_000

export function ReleaseView() {
  const connected = useConnection((s) => s.state === 'connected')
  const refresh = useRelease((s) => s.refresh)
  useEffect(() => {
    if (!connected) return
    const load = () => void refresh().catch((err) => reportError('Could not load the release manager', err))
    load()
    const timer = setInterval(load, REFRESH_MS)
    const off = api.on('release', load)
    return () => {
      clearInterval(timer)
      off()
    }
  }, [connected, refresh])
  return (
    <div className="release" data-testid="release-view">
      <Summary />
      <div className="columns release-columns">
        <div className="release-column">
          <FlagsCard />
          <FeedbackCard />
        </div>
        <div className="release-column">
          <ReadinessCard />
          <AdoptersCard />
          <TelemetryCard />
        </div>
      </div>
    </div>
  )
}

function Summary() {
  const status = useRelease((s) => s.status)
  const flags = useRelease((s) => s.flags)
  const [confirming, setConfirming] = useState<'rollback' | 'rollforward' | null>(null)
  const [busy, setBusy] = useState(false)
  const rolledBack = status?.protocol.rolledBack ?? false

  const act = async (which: 'rollback' | 'rollforward') => {
    setConfirming(null)
    setBusy(true)
    try {
      if (which === 'rollback') {
        const r = await api.call('release.rollbackToV3', {})
        reportInfo(`Rolled back to v3: ${r.flagsTurnedOff.length} flags off, ${r.agents.length} agents renegotiated, backup verified.`)
      } else {
        const r = await api.call('release.rollforwardToV4', {})
        reportInfo(`Rolled forward to v4: ${r.flagsTurnedOn.length} flags back on.`)
      }
    } catch (err) {
      reportError(which === 'rollback' ? 'Rollback to v3 failed' : 'Roll forward failed', err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="audit-header release-summary" data-testid="release-summary">
      <dl className="audit-facts">
        <div className="audit-fact">
          <dt>Readiness</dt>
          <dd>
            <span className="audit-fact-number" data-testid="release-score">
              {status ? `${status.readiness.score} / 100` : '…'}
            </span>
            {status && <span className={status.readiness.recommendedForProduction ? 'release-ok' : 'faint'}>{status.readiness.recommendedForProduction ? 'recommended for production' : `needs ${status.readiness.threshold}`}</span>}
          </dd>
        </div>
        <div className="audit-fact">
          <dt>Protocol</dt>
          <dd data-testid="release-protocol">
            <span className="audit-fact-number">{status ? (rolledBack ? 'v3 (pinned)' : 'v4') : '…'}</span>
            {status && !status.protocol.protocolPeer && <span className="faint">no protocol peer running</span>}
          </dd>
        </div>
        <div className="audit-fact">
          <dt>Adopters</dt>
          <dd>
            <span className="audit-fact-number">{status ? `${status.adopters.approved} / ${status.adopters.capacity}` : '…'}</span>
            {status && <span className="faint">{status.adopters.pending} pending · {status.adopters.waitlisted} waiting</span>}
          </dd>
        </div>
        <div className="audit-fact">
          <dt>Feedback</dt>
          <dd>
            <span className="audit-fact-number">{status ? status.feedback.open : '…'}</span>
            {status && <span className={status.feedback.overdue ? 'release-overdue' : 'faint'}>{status.feedback.overdue} overdue · environment {status.environment}</span>}
          </dd>
        </div>
      </dl>
      <div className="release-rollback">
        {rolledBack ? (
          <button className="btn" disabled={busy || !status} onClick={() => setConfirming('rollforward')} data-testid="release-rollforward">
            Roll forward to v4…
          </button>
        ) : (
          <button className="btn btn-danger" disabled={busy || !status} onClick={() => setConfirming('rollback')} data-testid="release-rollback">
            {busy ? 'Rolling back…' : 'Roll back to v3…'}
          </button>
        )}
      </div>
      {confirming === 'rollback' && (
        <ConfirmDialog title="Roll back to protocol v3?" confirmLabel="Roll back to v3" danger onConfirm={() => void act('rollback')} onCancel={() => setConfirming(null)}>
          <p>This will, in order:</p>
          <ol className="release-steps">
            <li>take a backup of the whole state and verify it (nothing changes if it does not verify);</li>
            <li>
              turn off the v4-only flags that are on:{' '}
              <strong>
                {flags
                  .filter((f) => f.v4Only && f.enabled)
                  .map((f) => f.name)
                  .join(', ') || 'none'}
              </strong>
              ;
            </li>
            <li>pin the protocol to v3 and renegotiate with every connected agent while calls keep flowing.</li>
          </ol>
          <p className="faint">Every step is written to the audit log. Roll forward to v4 undoes it from that record.</p>
        </ConfirmDialog>
      )}
      {confirming === 'rollforward' && (
        <ConfirmDialog title="Roll forward to protocol v4?" confirmLabel="Roll forward" onConfirm={() => void act('rollforward')} onCancel={() => setConfirming(null)}>
          <p>
            The flags the rollback turned off ({status?.protocol.last?.flagsTurnedOff.join(', ') || 'none'}) come back on if they are still off, and the v3 pin is lifted so agents negotiate v4
            again.
          </p>
        </ConfirmDialog>
      )}
    </div>
  )
}
