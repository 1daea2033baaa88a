import { useEffect, useRef, useState, type KeyboardEvent } from 'react'
import type { IntentView } from '../../src-main/api/contract'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { CopyButton } from '../components/CopyButton'
import { SafetyPill } from '../components/SafetyPill'
import { useChat, type Execution, type Turn } from '../stores/chat'
import { useNavigation } from '../stores/navigation'
import { useSettings } from '../stores/settings'
import { useTerminals } from '../stores/terminals'

const EXAMPLES = ['deploy 3 web servers with 2GB RAM in us-west-2', 'show me all deployments', 'scale web to 5', 'back up everything', 'destroy web', 'roll everything back to v3']

export function ChatView() {
  const turns = useChat((s) => s.turns)
  const pending = useChat((s) => s.pending)
  const endRef = useRef<HTMLDivElement>(null)
  // Block bodies: newer Chromium returns a promise from scrollIntoView, which React would take for a cleanup.
  useEffect(() => {
    endRef.current?.scrollIntoView({ block: 'end' })
  }, [turns])
  return (
    <div className="chat" data-testid="chat-view">
      <RecogniserLine />
      <div className="chat-scroll" role="log" aria-live="polite" aria-label="Requests and what became of them">
        {turns.length === 0 ? <EmptyChat /> : turns.map((t) => <TurnView key={t.id} turn={t} />)}
        <div ref={endRef} />
      </div>
      <Composer />
      {pending && <IntentDialog />}
    </div>
  )
}

function RecogniserLine() {
  const settings = useSettings((s) => s.settings)
  const go = useNavigation((s) => s.go)
  const hasTurns = useChat((s) => s.turns.length > 0)
  const clear = useChat((s) => s.clear)
  if (!settings) return null
  return (
    <div className="chat-top">
      <RecogniserText settings={settings} go={go} />
      {hasTurns && (
        <button type="button" className="btn btn-small btn-ghost" data-testid="chat-clear" onClick={clear} title="Clear the conversation (the audit log keeps everything)">
          Clear
        </button>
      )}
    </div>
  )
}

function RecogniserText({ settings, go }: { settings: NonNullable<ReturnType<typeof useSettings.getState>['settings']>; go: (view: 'settings') => void }) {
  return (
    <p className="chat-recogniser" data-testid="chat-recogniser">
      {settings.hasApiKey ? (
        <>
          Requests are understood by <strong>Claude</strong> ({settings.intent.model}); the offline parser answers when Claude cannot. Safety is always decided by the console’s own rules.
        </>
      ) : (
        <>
          Requests are understood by the <strong>offline parser</strong> (no key, no network).{' '}
          <button type="button" className="btn-link" onClick={() => go('settings')}>
            Add an Anthropic key in Settings
          </button>{' '}
          to use Claude.
        </>
      )}
    </p>
  )
}

function EmptyChat() {
  const send = useChat((s) => s.send)
  return (
    <div className="chat-empty" data-testid="chat-empty">
      <h2>Say what you want done</h2>
      <p className="muted">You see the plan and the equivalent dwcp commands first. Anything that can hurt asks for confirmation; every step lands in the audit log.</p>
      <div className="chat-examples">
        {EXAMPLES.map((e) => (
          <button key={e} type="button" className="chat-example" onClick={() => void send(e)}>
            {e}
          </button>
        ))}
      </div>
    </div>
  )
}

function Composer() {
  const send = useChat((s) => s.send)
  const cancelParsing = useChat((s) => s.cancelParsing)
  const history = useChat((s) => s.history)
  const [text, setText] = useState('')
  const [recall, setRecall] = useState<number | null>(null)
  const inputRef = useRef<HTMLInputElement>(null)
  useEffect(() => {
    inputRef.current?.focus()
  }, [])

  const submit = () => {
    if (!text.trim()) return
    void send(text)
    setText('')
    setRecall(null)
  }

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault()
      submit()
    } else if (event.key === 'Escape') {
      // Esc first stops waiting for an answer, then clears what is typed.
      if (!cancelParsing()) setText('')
      setRecall(null)
    } else if (event.key === 'ArrowUp' && history.length && (text === '' || recall !== null)) {
      event.preventDefault()
      const at = recall === null ? history.length - 1 : Math.max(0, recall - 1)
      setRecall(at)
      setText(history[at])
    } else if (event.key === 'ArrowDown' && recall !== null) {
      event.preventDefault()
      const at = recall + 1
      if (at >= history.length) {
        setRecall(null)
        setText('')
      } else {
        setRecall(at)
        setText(history[at])
      }
    }
  }

  return (
    <form
      className="chat-composer"
      onSubmit={(event) => {
        event.preventDefault()
        submit()
      }}
    >
      <input
        ref={inputRef}
        className="input chat-input"
        data-testid="chat-input"
        data-autofocus
        aria-label="Request"
        placeholder="Describe what you want done — e.g. deploy 5 web servers with 8GB RAM in us-west-2"
        value={text}
        maxLength={2000}
        onChange={(e) => {
          setText(e.target.value)
          setRecall(null)
        }}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="btn btn-primary" data-testid="chat-send" disabled={!text.trim()}>
        Send
      </button>
      <span className="chat-keys faint" aria-hidden>
        Enter sends · ↑ recalls · Esc cancels
      </span>
    </form>
  )
}

function TurnView({ turn }: { turn: Turn }) {
  return (
    <section className="chat-turn" data-testid="chat-turn" aria-label={turn.text}>
      <div className="chat-request">{turn.text}</div>
      {turn.state === 'parsing' && (
        <div className="chat-thinking" data-testid="chat-thinking">
          <span className="progress-track chat-spinner" aria-hidden>
            <span className="progress-bar progress-indeterminate" />
          </span>
          Understanding…{turn.partial && <span className="chat-partial">Claude: {describePartial(turn.partial)}</span>}
        </div>
      )}
      {turn.state === 'cancelled' && <div className="chat-note faint">Cancelled.</div>}
      {turn.state === 'error' && (
        <div className="chat-note error-text" role="alert">
          {turn.error}
        </div>
      )}
      {turn.intent && <IntentCard turnId={turn.id} intent={turn.intent} execution={turn.execution} />}
    </section>
  )
}

/** Claude's tool input as it streams in, in words: the type first, then each parameter as it arrives. */
function describePartial(snapshot: string): string {
  try {
    const partial = JSON.parse(snapshot) as { type?: string; parameters?: Record<string, unknown> }
    const params = Object.entries(partial.parameters ?? {}).map(([k, v]) => `${PARAMETER_LABELS[k] ?? k} ${parameterValue(k, v)}`)
    return [partial.type ?? '…', ...params].join(' · ')
  } catch {
    return '…'
  }
}

const PARAMETER_LABELS: Record<string, string> = {
  target: 'target',
  replicas: 'replicas',
  cpu: 'CPU',
  memoryMB: 'memory',
  region: 'region',
  version: 'version',
  module: 'module',
  strategy: 'strategy',
  backupId: 'backup',
  durationMinutes: 'minutes',
  protocol: 'protocol v3',
}

function parameterValue(key: string, value: unknown): string {
  if (key === 'memoryMB' && typeof value === 'number') return value >= 1024 && value % 1024 === 0 ? `${value / 1024} GB` : `${value} MB`
  return String(value)
}

function IntentCard({ turnId, intent, execution }: { turnId: string; intent: IntentView; execution?: Execution }) {
  const run = useChat((s) => s.run)
  const dryRun = useChat((s) => s.dryRun)
  const sendText = useTerminals((s) => s.sendText)
  const go = useNavigation((s) => s.go)
  const params = Object.entries(intent.parameters).filter(([, v]) => v !== undefined)
  const started = execution && execution.status !== 'dry-run' && execution.status !== 'refused'
  const commandLine = intent.commands.join(' && ')
  return (
    <article className={`chat-intent chat-intent-${intent.safety}`} data-testid="intent-card" data-safety={intent.safety} data-type={intent.type}>
      <header className="chat-intent-head">
        <span className="chat-intent-type">{intent.type}</span>
        <SafetyPill level={intent.safety} title={intent.safetyReason} testId="intent-safety" />
        <span className="faint">confidence {Math.round(intent.confidence * 100)} %</span>
        <span className="badge" data-testid="intent-recogniser">
          {intent.recogniser === 'claude' ? 'Claude' : 'offline parser'}
        </span>
      </header>
      <p className="chat-intent-reason muted">{intent.safetyReason}{intent.requiresConfirmation ? (intent.safety === 'critical' ? ' — the target’s name must be typed to go ahead.' : ' — asks for confirmation.') : ' — runs without confirmation.'}</p>
      {intent.fallbackReason && <p className="chat-intent-flag">{intent.fallbackReason}</p>}
      {intent.disagreement && <p className="chat-intent-flag">{intent.disagreement}</p>}
      {intent.claimedSafety && intent.claimedSafety !== intent.safety && <p className="chat-intent-flag">Claude called this {intent.claimedSafety}; the console’s rules say {intent.safety}.</p>}
      {params.length > 0 && (
        <dl className="chat-params" data-testid="intent-params">
          {params.map(([k, v]) => (
            <div key={k} className="chat-param">
              <dt>{PARAMETER_LABELS[k] ?? k}</dt>
              <dd>{parameterValue(k, v)}</dd>
            </div>
          ))}
        </dl>
      )}
      <ol className="chat-plan" data-testid="intent-plan">
        {intent.plan.map((step, i) => (
          <li key={i}>
            {step.description}
            {step.readOnly && <span className="faint"> (read-only)</span>}
          </li>
        ))}
      </ol>
      <div className="chat-commands">
        <pre className="chat-command" data-testid="intent-commands">
          {intent.commands.map((c) => `$ ${c}`).join('\n')}
        </pre>
        <div className="chat-command-actions">
          <CopyButton value={intent.commands.join('\n')} label="commands" />
          <button
            type="button"
            className="btn btn-small"
            data-testid="intent-send-terminal"
            onClick={() => {
              sendText(commandLine)
              go('terminal')
            }}
          >
            Send to terminal
          </button>
        </div>
      </div>
      {!started && (
        <div className="button-row">
          <button type="button" className={intent.safety === 'critical' ? 'btn btn-danger' : 'btn btn-primary'} data-testid="intent-run" onClick={() => void run(turnId)}>
            {intent.requiresConfirmation ? 'Review and run…' : 'Run'}
          </button>
          <button type="button" className="btn" data-testid="intent-dry-run" onClick={() => void dryRun(turnId)}>
            Dry run
          </button>
        </div>
      )}
      {execution && <ExecutionView execution={execution} />}
    </article>
  )
}

const STEP_MARK: Record<string, string> = { pending: '○', running: '◔', done: '✓', failed: '✗' }

function ExecutionView({ execution }: { execution: Execution }) {
  return (
    <div className={`chat-execution chat-execution-${execution.status}`} data-testid="intent-execution" data-status={execution.status}>
      {execution.steps.length > 0 && (
        <ol className="chat-steps">
          {execution.steps.map((s, i) => (
            <li key={i} className={`chat-step chat-step-${s.state}`} data-testid="intent-step" data-state={s.state}>
              <span className="chat-step-mark" aria-hidden>
                {STEP_MARK[s.state]}
              </span>
              <span>
                {s.description}
                {s.detail && <span className="chat-step-detail"> — {s.detail}</span>}
                {execution.status === 'dry-run' && (
                  <code className="chat-step-call">
                    {s.method} {JSON.stringify(s.input)}
                  </code>
                )}
              </span>
            </li>
          ))}
        </ol>
      )}
      <p className="chat-execution-message" data-testid="intent-message">
        {execution.status === 'running' ? 'Running…' : execution.message}
      </p>
    </div>
  )
}

function IntentDialog() {
  const pending = useChat((s) => s.pending)!
  const intent = useChat((s) => s.turns.find((t) => t.id === pending.turnId)?.intent)
  const confirm = useChat((s) => s.confirm)
  const decline = useChat((s) => s.decline)
  const [typed, setTyped] = useState('')
  const [override, setOverride] = useState('')
  const [consentBackup, setConsentBackup] = useState(true)
  if (!intent) return null
  const critical = intent.safety === 'critical'
  const guardrails = pending.preview.guardrails
  const needsBackup = guardrails.some((g) => g.name === 'backup' && !g.ok)
  const size = guardrails.find((g) => g.name === 'size' && !g.ok && g.overridable)
  const others = guardrails.filter((g) => g.name !== 'confirmation' && !(g.name === 'backup' && !g.ok) && g !== size)
  // A failing guardrail nothing in this dialog can lift (the hard size limit, the rate limit) holds the button.
  const ready = !others.some((g) => !g.ok) && (!critical || typed.trim() === intent.confirmName) && (!needsBackup || consentBackup) && (!size || override.trim() === String(intent.parameters.replicas))
  return (
    <ConfirmDialog
      title={`${intent.type[0].toUpperCase()}${intent.type.slice(1)}${intent.parameters.target ? ` ${intent.parameters.target}` : ''}: ${intent.safety}`}
      confirmLabel={critical ? 'Type the name and go ahead' : 'Go ahead'}
      cancelLabel="Decline"
      danger={critical || intent.safety === 'dangerous'}
      confirmDisabled={!ready}
      focusInput={critical || Boolean(size)}
      testId={critical ? 'intent-typed-dialog' : 'intent-confirm-dialog'}
      onConfirm={() => void confirm({ typedName: typed.trim(), consentBackup: needsBackup && consentBackup, override: override.trim() })}
      onCancel={() => void decline()}
    >
      <p className="chat-dialog-reason">
        <SafetyPill level={intent.safety} /> {intent.safetyReason}
      </p>
      <p className="muted">What will happen:</p>
      <ol className="chat-plan" data-testid="dialog-steps">
        {pending.preview.steps.map((s, i) => (
          <li key={i}>{s.description}</li>
        ))}
      </ol>
      {others.length > 0 && (
        <ul className="chat-guardrails">
          {others.map((g) => (
            <li key={g.name} className={g.ok ? 'release-ok' : 'error-text'}>
              {g.ok ? '✓' : '✗'} {g.detail}
            </li>
          ))}
        </ul>
      )}
      {needsBackup && (
        <label className="chat-dialog-check">
          <input type="checkbox" checked={consentBackup} onChange={(e) => setConsentBackup(e.target.checked)} data-testid="dialog-backup" /> {guardrails.find((g) => g.name === 'backup')!.detail.split(';')[0]}: take a verified backup first
        </label>
      )}
      {size && (
        <label className="field-label chat-dialog-field">
          {size.detail}
          <input type="text" className="input input-mono" value={override} onChange={(e) => setOverride(e.target.value)} data-testid="dialog-override" autoComplete="off" />
        </label>
      )}
      {critical && (
        <label className="field-label chat-dialog-field">
          <span>
            Type <code>{intent.confirmName}</code> to go ahead
          </span>
          <input type="text" className="input input-mono" value={typed} onChange={(e) => setTyped(e.target.value)} data-testid="dialog-typed-name" autoComplete="off" spellCheck={false} aria-label={`Type ${intent.confirmName} to confirm`} />
        </label>
      )}
    </ConfirmDialog>
  )
}
