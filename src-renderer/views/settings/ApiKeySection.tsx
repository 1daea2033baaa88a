import { useState, type FormEvent } from 'react'
import type { Settings } from '../../../src-main/api/contract'
import { issueMessages } from '../../lib/errors'
import { useSettings } from '../../stores/settings'
import { reportError, reportInfo } from '../../stores/toasts'
import { Section } from './Section'

function statusText(settings: Settings | null): string {
  if (!settings) return '…'
  if (!settings.hasApiKey) return 'No API key stored'
  return settings.secretStorage === 'electron-safe-storage'
    ? 'An API key is stored, encrypted by the OS keychain'
    : 'An API key is stored in a file only your account can read (0600)'
}

/** The key goes to the host and is never shown again: the host only ever says whether one is stored. */
export function ApiKeySection() {
  const settings = useSettings((s) => s.settings)
  const setApiKey = useSettings((s) => s.setApiKey)
  const clearApiKey = useSettings((s) => s.clearApiKey)
  const [draft, setDraft] = useState('')
  const [problems, setProblems] = useState<string[]>([])
  const [busy, setBusy] = useState(false)

  const save = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    try {
      await setApiKey(draft)
      setDraft('')
      setProblems([])
      reportInfo('API key saved')
    } catch (err) {
      setProblems(issueMessages(err))
    } finally {
      setBusy(false)
    }
  }

  const remove = async () => {
    setBusy(true)
    try {
      await clearApiKey()
      setProblems([])
      reportInfo('API key removed')
    } catch (err) {
      reportError('Could not remove the API key', err)
    } finally {
      setBusy(false)
    }
  }

  const invalid = problems.length > 0
  return (
    <Section title="Anthropic API key" hint="Used by the Intent engine for chat-driven operations.">
      <p className={settings?.hasApiKey ? 'key-status key-status-set' : 'key-status'} data-testid="api-key-status" role="status">
        {statusText(settings)}
      </p>
      <form className="key-form" onSubmit={save}>
        <label htmlFor="api-key" className="field-label">
          {settings?.hasApiKey ? 'Replace the key' : 'API key'}
        </label>
        <div className="field-row">
          <input
            id="api-key"
            className="input input-mono"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="sk-ant-…"
            value={draft}
            data-testid="api-key-input"
            aria-invalid={invalid || undefined}
            aria-describedby={invalid ? 'api-key-problems' : undefined}
            onChange={(event) => {
              setDraft(event.target.value)
              if (invalid) setProblems([])
            }}
          />
          <button type="submit" className="btn btn-primary" disabled={busy || draft.trim() === ''} data-testid="api-key-save">
            Save
          </button>
          {settings?.hasApiKey && (
            <button type="button" className="btn btn-danger-quiet" disabled={busy} onClick={remove} data-testid="api-key-remove">
              Remove
            </button>
          )}
        </div>
        {invalid && (
          <ul className="field-problems" id="api-key-problems" data-testid="api-key-error">
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        )}
      </form>
    </Section>
  )
}
