import { useState } from 'react'
import type { Adopter } from '../../../src-main/api/contract'
import { api } from '../../api/client'
import { CopyButton } from '../../components/CopyButton'
import { useRelease } from '../../stores/release'
import { reportError } from '../../stores/toasts'

const LEVELS = ['basic', 'advanced', 'full', 'experimental'] as const

export function AdoptersCard() {
  const adopters = useRelease((s) => s.adopters)
  const [level, setLevel] = useState<(typeof LEVELS)[number]>('advanced')
  const [code, setCode] = useState<string | null>(null)
  const invite = async () => {
    try {
      setCode((await api.call('release.adopters.invite', { accessLevel: level, days: 14 })).code)
    } catch (err) {
      reportError('Could not make an invitation', err)
    }
  }
  const shown = adopters.filter((a) => a.status !== 'rejected')
  return (
    <section className="card" data-testid="release-adopters">
      <header className="card-header">
        <h2>Early adopters</h2>
        <p className="card-hint">100 places; approvals past that wait in line. Access levels turn flags on for the adopter.</p>
      </header>
      <div className="card-body release-adopters">
        <div className="button-row">
          <select className="input release-select" value={level} onChange={(e) => setLevel(e.target.value as typeof level)} aria-label="access level of the invitation">
            {LEVELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
          <button className="btn btn-small" onClick={() => void invite()} data-testid="release-invite">
            New invitation code
          </button>
        </div>
        {code && (
          <p className="release-code" data-testid="release-invite-code">
            <code>{code}</code> <CopyButton value={code} label="invitation code" testId="release-invite-copy" /> <span className="faint">shown once, single use, 14 days</span>
          </p>
        )}
        {shown.length === 0 ? (
          <p className="faint">No applications yet.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Adopter</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((a) => (
                <AdopterRow key={a.id} adopter={a} />
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  )
}

function AdopterRow({ adopter: a }: { adopter: Adopter }) {
  const decide = (decision: 'approve' | 'reject', accessLevel?: Adopter['accessLevel']) =>
    void api.call('release.adopters.decide', { id: a.id, decision, ...(accessLevel ? { accessLevel } : {}) }).catch((err) => reportError(`Could not ${decision} ${a.name}`, err))
  return (
    <tr data-testid="release-adopter-row">
      <td>
        <div>{a.name}</div>
        <div className="faint">{a.organization || a.email}</div>
      </td>
      <td>
        <div className={`release-status release-status-${a.status}`}>{a.status}</div>
        <div className="faint">
          {a.accessLevel} · rep {a.reputation}
        </div>
      </td>
      <td>
        <div className="release-adopter-actions">
          {a.status === 'approved' ? (
            <select className="input release-select" value={a.accessLevel} onChange={(e) => decide('approve', e.target.value as Adopter['accessLevel'])} aria-label={`access level of ${a.name}`}>
              {LEVELS.map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
          ) : (
            <button className="btn btn-small" onClick={() => decide('approve')}>
              Approve
            </button>
          )}
          <button className="btn btn-small btn-ghost" onClick={() => decide('reject')}>
            {a.status === 'approved' ? 'Remove' : 'Reject'}
          </button>
        </div>
      </td>
    </tr>
  )
}

export function TelemetryCard() {
  const telemetry = useRelease((s) => s.status?.telemetry)
  const toggle = async (optOut: boolean) => {
    try {
      await api.call('release.telemetry.optOut', { optOut })
    } catch (err) {
      reportError('Could not change telemetry', err)
    }
  }
  return (
    <section className="card" data-testid="release-telemetry">
      <header className="card-header">
        <h2>Telemetry</h2>
        <p className="card-hint">User ids are kept only as a salted hash; emails and free text are dropped; events older than {telemetry?.retentionDays ?? 90} days are deleted.</p>
      </header>
      <div className="card-body">
        <label className="release-switch">
          <input type="checkbox" role="switch" checked={telemetry ? !telemetry.optedOut : false} disabled={!telemetry} onChange={(e) => void toggle(!e.target.checked)} data-testid="release-telemetry-toggle" />
          <span>{telemetry?.optedOut ? 'Off — nothing is stored' : 'On'}</span>
        </label>
        {telemetry && !telemetry.optedOut && (
          <p className="faint">
            {telemetry.rows.toLocaleString()} events kept{telemetry.events.length > 0 && `: ${telemetry.events.slice(0, 4).map((e) => `${e.event} ${e.count}`).join(', ')}`}
          </p>
        )}
      </div>
    </section>
  )
}
