import { useEffect, useRef, useState } from 'react'
import type { ReleaseFlag } from '../../../src-main/api/contract'
import { api } from '../../api/client'
import { useRelease } from '../../stores/release'
import { reportError } from '../../stores/toasts'

async function setFlag(name: string, patch: { enabled?: boolean; rollout?: number }) {
  try {
    await api.call('release.flags.set', { name, ...patch })
  } catch (err) {
    reportError(`Could not change ${name}`, err)
  }
}

export function FlagsCard() {
  const flags = useRelease((s) => s.flags)
  const status = useRelease((s) => s.status)
  const effective = new Map(status?.flags.map((f) => [f.name, f.effective]) ?? [])
  return (
    <section className="card" data-testid="release-flags">
      <header className="card-header">
        <h2>Feature flags</h2>
        <p className="card-hint">A user is in a rollout when their bucket (MurmurHash3 of flag:user, 1–100) is at most the percentage, so raising it only adds users.</p>
      </header>
      <div className="card-body">
        <table className="table release-flags">
          <thead>
            <tr>
              <th>Flag</th>
              <th>On</th>
              <th>Rollout</th>
            </tr>
          </thead>
          <tbody>
            {flags.map((f) => (
              <FlagRow key={f.name} flag={f} effective={effective.get(f.name)} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

function FlagRow({ flag, effective }: { flag: ReleaseFlag; effective: string | undefined }) {
  // The slider moves freely; the value is saved once it rests (or is let go). While a change is on
  // its way, refreshes from the host do not pull the slider back to an older value.
  const [rollout, setRollout] = useState(flag.rollout)
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null)
  const saving = useRef(false)
  useEffect(() => {
    if (!pending.current && !saving.current) setRollout(flag.rollout)
  }, [flag.rollout])
  useEffect(() => () => clearTimeout(pending.current ?? undefined), [])
  const save = (value: number) => {
    clearTimeout(pending.current ?? undefined)
    pending.current = null
    if (value === flag.rollout) return
    saving.current = true
    void setFlag(flag.name, { rollout: value }).finally(() => (saving.current = false))
  }
  const move = (value: number) => {
    setRollout(value)
    clearTimeout(pending.current ?? undefined)
    pending.current = setTimeout(() => save(value), 400)
  }
  const commit = () => save(rollout)
  const limits = [flag.environments.length ? flag.environments.join(', ') : '', flag.dependencies.length ? `needs ${flag.dependencies.join(', ')}` : '', flag.users.length ? `${flag.users.length} listed users` : '', flag.expiresAt ? `expires ${new Date(flag.expiresAt).toLocaleString()}` : ''].filter(Boolean)
  return (
    <tr data-testid="release-flag-row" data-flag={flag.name}>
      <td>
        <div className="release-flag-name">
          <code>{flag.name}</code>
          {flag.v4Only && <span className="release-tag">v4</span>}
        </div>
        <div className="faint release-flag-desc" title={flag.description}>
          {flag.description}
        </div>
        <div className="faint release-limits" title={effective}>
          {limits.join(' · ') || 'all environments'}
          {effective && ` — ${effective}`}
        </div>
      </td>
      <td>
        <label className="release-switch">
          <input type="checkbox" role="switch" checked={flag.enabled} onChange={(e) => void setFlag(flag.name, { enabled: e.target.checked })} aria-label={`${flag.name} enabled`} data-testid="release-flag-enabled" />
          <span>{flag.enabled ? 'on' : 'off'}</span>
        </label>
      </td>
      <td>
        <div className="release-rollout">
          <input
            type="range"
            min={0}
            max={100}
            step={1}
            value={rollout}
            onChange={(e) => move(Number(e.target.value))}
            onPointerUp={commit}
            onBlur={() => pending.current && commit()}
            aria-label={`${flag.name} rollout percentage`}
            data-testid="release-flag-rollout"
          />
          <span className="release-rollout-value numeric">{rollout}%</span>
        </div>
      </td>
    </tr>
  )
}
