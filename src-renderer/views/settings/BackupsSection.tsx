import { useCallback, useEffect, useState } from 'react'
import type { BackupInfo, BackupVerdict, RestoreResult } from '../../../src-main/api/contract'
import { api } from '../../api/client'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { Icon } from '../../components/Icon'
import { formatBytes, formatDate } from '../../lib/format'
import { useConnection } from '../../stores/connection'
import { useSettings } from '../../stores/settings'
import { useSystem } from '../../stores/system'
import { reportError, reportInfo } from '../../stores/toasts'
import { Section } from './Section'

export function BackupsSection() {
  const connected = useConnection((s) => s.state === 'connected')
  const [backups, setBackups] = useState<BackupInfo[] | null>(null)
  const [creating, setCreating] = useState(false)
  const [verdicts, setVerdicts] = useState<Record<string, BackupVerdict | 'checking'>>({})
  const [restoreTarget, setRestoreTarget] = useState<BackupInfo | null>(null)
  const [restoring, setRestoring] = useState(false)
  const [restored, setRestored] = useState<RestoreResult | null>(null)

  const refresh = useCallback(async () => {
    try {
      setBackups(await api.call('backup.list', {}))
    } catch (err) {
      reportError('Could not list the backups', err)
    }
  }, [])

  useEffect(() => {
    if (connected) void refresh()
  }, [connected, refresh])

  const create = async () => {
    setCreating(true)
    try {
      const backup = await api.call('backup.create', { reason: 'Back up now, in Settings' })
      reportInfo(`Backed up to ${backup.name}`)
      await refresh()
    } catch (err) {
      reportError('Could not create a backup', err)
    } finally {
      setCreating(false)
    }
  }

  const verify = async (backup: BackupInfo) => {
    setVerdicts((v) => ({ ...v, [backup.name]: 'checking' }))
    try {
      const verdict = await api.call('backup.verify', { file: backup.name })
      setVerdicts((v) => ({ ...v, [backup.name]: verdict }))
    } catch (err) {
      setVerdicts(({ [backup.name]: _dropped, ...rest }) => rest)
      reportError(`Could not verify ${backup.name}`, err)
    }
  }

  const restore = async (backup: BackupInfo) => {
    setRestoreTarget(null)
    setRestoring(true)
    try {
      setRestored(await api.call('backup.restore', { file: backup.name }))
      // Everything may have changed underneath: settings, engines' schema, the backups themselves.
      await Promise.all([refresh(), useSettings.getState().load(), useSystem.getState().load()])
    } catch (err) {
      reportError(`Could not restore ${backup.name}`, err)
    } finally {
      setRestoring(false)
    }
  }

  return (
    <Section
      title="Backups"
      hint="A backup is a consistent copy of the whole database, kept in the data folder. Restoring keeps the current state first, so a restore can be undone."
      testId="backups"
    >
      <div className="button-row">
        <button type="button" className="btn btn-primary" onClick={create} disabled={creating || restoring} data-testid="backup-create">
          {creating ? 'Backing up…' : 'Back up now'}
        </button>
      </div>

      {restored && <RestoreNotice result={restored} onDismiss={() => setRestored(null)} />}

      {backups === null ? (
        <p className="muted">Loading backups…</p>
      ) : backups.length === 0 ? (
        <p className="muted" data-testid="backup-empty">
          No backups yet.
        </p>
      ) : (
        <table className="table" data-testid="backup-list">
          <thead>
            <tr>
              <th scope="col">Backup</th>
              <th scope="col">Created</th>
              <th scope="col" className="numeric">
                Size
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {backups.map((backup) => (
              <BackupRow
                key={backup.name}
                backup={backup}
                verdict={verdicts[backup.name]}
                busy={restoring}
                onVerify={() => void verify(backup)}
                onRestore={() => setRestoreTarget(backup)}
              />
            ))}
          </tbody>
        </table>
      )}

      {restoreTarget && (
        <ConfirmDialog
          title={`Restore ${restoreTarget.name}?`}
          confirmLabel="Restore"
          danger
          onConfirm={() => void restore(restoreTarget)}
          onCancel={() => setRestoreTarget(null)}
        >
          <p>
            The whole state of this installation is replaced by the backup made {formatDate(restoreTarget.createdAt)}. Open terminals are
            not affected.
          </p>
          <p>The current state is kept first, in the data folder, so you can go back to it.</p>
        </ConfirmDialog>
      )}
    </Section>
  )
}

function BackupRow({
  backup,
  verdict,
  busy,
  onVerify,
  onRestore,
}: {
  backup: BackupInfo
  verdict: BackupVerdict | 'checking' | undefined
  busy: boolean
  onVerify(): void
  onRestore(): void
}) {
  return (
    <>
      <tr data-testid="backup-row" data-name={backup.name}>
        {/* The reason sits under the name: it is free text of any length, a column of its own wraps badly. */}
        <td>
          <div className="backup-cell">
            <span className="backup-name mono" title={backup.sha256 ? `SHA-256 ${backup.sha256}` : undefined}>
              {backup.name}
            </span>
            {backup.reason && <span className="backup-reason">{backup.reason}</span>}
          </div>
        </td>
        <td className="nowrap">{formatDate(backup.createdAt)}</td>
        <td className="numeric nowrap">{formatBytes(backup.sizeBytes)}</td>
        <td>
          <div className="row-actions">
            <VerdictBadge verdict={verdict} />
          <button type="button" className="btn btn-small" onClick={onVerify} disabled={verdict === 'checking'} data-testid="backup-verify">
            Verify
          </button>
          <button type="button" className="btn btn-small" onClick={onRestore} disabled={busy} data-testid="backup-restore">
            Restore
            </button>
          </div>
        </td>
      </tr>
      {verdict && verdict !== 'checking' && !verdict.ok && (
        <tr className="problems-row">
          <td colSpan={4}>
            <ul className="field-problems" data-testid="backup-problems">
              {verdict.problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </td>
        </tr>
      )}
    </>
  )
}

function VerdictBadge({ verdict }: { verdict: BackupVerdict | 'checking' | undefined }) {
  if (!verdict) return null
  if (verdict === 'checking') return <span className="badge">Checking…</span>
  return verdict.ok ? (
    <span className="badge badge-ok" data-testid="backup-verdict">
      <Icon name="check" size={12} /> OK
    </span>
  ) : (
    <span className="badge badge-bad" data-testid="backup-verdict">
      Problems
    </span>
  )
}

function RestoreNotice({ result, onDismiss }: { result: RestoreResult; onDismiss(): void }) {
  return (
    <div className="notice" role="status" data-testid="restore-result">
      <Icon name="check" size={16} className="notice-icon" />
      <div>
        <p>
          Restored from <code>{result.restoredFrom}</code>.
        </p>
        <p>
          {result.previousStateSavedTo ? (
            <>
              The previous state was kept in <code>{result.previousStateSavedTo}</code>.
            </>
          ) : (
            'There was no previous state to keep.'
          )}
        </p>
      </div>
      <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>
        <Icon name="close" size={14} />
      </button>
    </div>
  )
}
