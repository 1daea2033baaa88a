import { useEffect, useState, type FormEvent } from 'react'
import type { Settings } from '../../../src-main/api/contract'
import { api } from '../../api/client'
import { issueMessages } from '../../lib/errors'
import { useSettings } from '../../stores/settings'
import { reportInfo } from '../../stores/toasts'
import { Section } from './Section'

type IntentSettings = Settings['intent']

interface Draft {
  model: string
  baseURL: string
  timeoutSeconds: string
  maxRetries: string
  productionPatterns: string
  backupMaxAgeMinutes: string
  maxReplicas: string
  changesPerMinute: string
}

const toDraft = (s: IntentSettings): Draft => ({
  model: s.model,
  baseURL: s.baseURL ?? '',
  timeoutSeconds: String(s.timeoutMs / 1000),
  maxRetries: String(s.maxRetries),
  productionPatterns: s.productionPatterns.join('\n'),
  backupMaxAgeMinutes: String(s.backupMaxAgeMinutes),
  maxReplicas: String(s.maxReplicas),
  changesPerMinute: String(s.changesPerMinute),
})

const FIELDS: { key: keyof Draft; label: string; hint: string; mono?: boolean }[] = [
  { key: 'model', label: 'Claude model', hint: 'Used when an API key is stored', mono: true },
  { key: 'baseURL', label: 'Messages API endpoint', hint: 'Empty: Anthropic’s own', mono: true },
  { key: 'timeoutSeconds', label: 'Timeout (s)', hint: 'Per request, before falling back to the offline parser' },
  { key: 'maxRetries', label: 'Retries', hint: 'On 429, 5xx and 529, after retry-after' },
  { key: 'backupMaxAgeMinutes', label: 'Backup age (min)', hint: 'Destroy, restore and migrate need a verified backup this recent' },
  { key: 'maxReplicas', label: 'Replica limit', hint: 'More needs the number typed as an override' },
  { key: 'changesPerMinute', label: 'Changes per minute', hint: 'Rate limit on changing intents' },
]

/** The intent engine's knobs: where Claude is, and the guardrails' limits. Safety levels themselves are not settings. */
export function ChatSection() {
  const intent = useSettings((s) => s.settings?.intent)
  const received = useSettings((s) => s.received)
  const [draft, setDraft] = useState<Draft | null>(null)
  const [problems, setProblems] = useState<string[]>([])
  useEffect(() => {
    if (intent) setDraft(toDraft(intent))
  }, [intent])
  if (!draft) return null

  const save = async (event: FormEvent) => {
    event.preventDefault()
    try {
      const next = await api.call('settings.update', {
        intent: {
          model: draft.model.trim(),
          baseURL: draft.baseURL.trim() === '' ? null : draft.baseURL.trim(),
          timeoutMs: Math.round(Number(draft.timeoutSeconds) * 1000),
          maxRetries: Number(draft.maxRetries),
          productionPatterns: draft.productionPatterns.split('\n').map((p) => p.trim()).filter(Boolean),
          backupMaxAgeMinutes: Number(draft.backupMaxAgeMinutes),
          maxReplicas: Number(draft.maxReplicas),
          changesPerMinute: Number(draft.changesPerMinute),
        },
      })
      received(next)
      setProblems([])
      reportInfo('Chat settings saved')
    } catch (err) {
      setProblems(issueMessages(err))
    }
  }

  return (
    <Section title="Chat and guardrails" hint="How requests are understood, and the limits every intent is held to.">
      <form className="chat-settings" onSubmit={save} data-testid="chat-settings">
        {FIELDS.map((f) => (
          <label key={f.key} className="chat-settings-field">
            <span className="field-label">{f.label}</span>
            <input className={f.mono ? 'input input-mono' : 'input'} value={draft[f.key]} onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })} data-testid={`chat-setting-${f.key}`} />
            <span className="faint">{f.hint}</span>
          </label>
        ))}
        <label className="chat-settings-field chat-settings-wide">
          <span className="field-label">Production names (one regular expression per line)</span>
          <textarea className="input input-mono chat-settings-patterns" rows={2} value={draft.productionPatterns} onChange={(e) => setDraft({ ...draft, productionPatterns: e.target.value })} data-testid="chat-setting-productionPatterns" />
          <span className="faint">A target that matches raises the intent one safety level</span>
        </label>
        {problems.length > 0 && (
          <ul className="field-problems chat-settings-wide" role="alert">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <div className="chat-settings-wide">
          <button type="submit" className="btn btn-primary" data-testid="chat-settings-save">
            Save
          </button>
        </div>
      </form>
    </Section>
  )
}
