import { create, type StateCreator } from 'zustand'
import { createJSONStorage, persist } from 'zustand/middleware'
import type { ExecutionReportView, IntentView } from '../../src-main/api/contract'
import { redact, redactText } from '../../src-main/redact'
import { api } from '../api/client'
import { errorMessage } from '../lib/errors'

type StepView = ExecutionReportView['steps'][number]

export interface Execution {
  status: 'running' | ExecutionReportView['status'] | 'refused'
  steps: StepView[]
  message?: string
}

/** One request and what became of it. */
export interface Turn {
  id: string
  text: string
  state: 'parsing' | 'ready' | 'error' | 'cancelled'
  /** Claude's answer as it streams in, before the intent is complete. */
  partial?: string
  intent?: IntentView
  error?: string
  execution?: Execution
}

/** What the confirmation dialog shows: the dry run's steps and guardrails for one turn. */
interface PendingConfirmation {
  turnId: string
  preview: ExecutionReportView
}

interface ConfirmAnswers {
  typedName?: string
  consentBackup?: boolean
  override?: string
}

interface ChatState {
  turns: Turn[]
  /** Sent requests, oldest first, for ↑ recall. */
  history: string[]
  pending: PendingConfirmation | null
  send(text: string): Promise<void>
  /** Esc: stop waiting for the request being understood (its answer is ignored). */
  cancelParsing(): boolean
  /** Run an intent: safe ones at once, others after the dialog (opened here with a dry run). */
  run(turnId: string): Promise<void>
  dryRun(turnId: string): Promise<void>
  confirm(answers: ConfirmAnswers): Promise<void>
  decline(): Promise<void>
  clear(): void
}

let turnCounter = 0
const newTurnId = () => `turn-${Date.now().toString(36)}-${++turnCounter}`

/** Kept in the window's storage, so a reload or a restart keeps the conversation and ↑ recall. */
const KEPT_TURNS = 50

const chatState: StateCreator<ChatState> = (set, get) => {
  const patch = (id: string, change: Partial<Turn> | ((turn: Turn) => Partial<Turn>)) =>
    set((state) => ({ turns: state.turns.map((t) => (t.id === id ? { ...t, ...(typeof change === 'function' ? change(t) : change) } : t)) }))
  const turn = (id: string) => get().turns.find((t) => t.id === id)

  /** "it" in the next request means what the last understood request was about. */
  const lastTarget = () => [...get().turns].reverse().find((t) => t.intent?.parameters.target)?.intent?.parameters.target

  const execute = async (turnId: string, { quiet, ...input }: { quiet?: boolean; dryRun?: boolean; confirmation?: { confirmed?: boolean; typedName?: string; declined?: boolean }; consentBackup?: boolean; override?: string }) => {
    const intent = turn(turnId)?.intent
    if (!intent) return
    if (!input.dryRun) patch(turnId, { execution: { status: 'running', steps: [] } })
    try {
      const report = await api.call('intent.execute', { intentId: intent.id, ...input })
      if (!quiet) patch(turnId, { execution: { status: report.status, steps: report.steps, message: report.message } })
      return report
    } catch (err) {
      patch(turnId, { execution: { status: 'refused', steps: [], message: errorMessage(err) } })
      return undefined
    }
  }

  return {
    turns: [],
    history: [],
    pending: null,

    async send(raw) {
      const text = raw.trim()
      if (!text) return
      const id = newTurnId()
      const context = lastTarget()
      set((state) => ({ turns: [...state.turns, { id, text, state: 'parsing' }], history: [...state.history.filter((h) => h !== text), text].slice(-100) }))
      try {
        const intent = await api.call('intent.parse', { text, requestId: id, ...(context ? { context: { lastTarget: context } } : {}) })
        if (turn(id)?.state !== 'parsing') return
        patch(id, { state: 'ready', intent, partial: undefined })
      } catch (err) {
        if (turn(id)?.state !== 'parsing') return
        patch(id, { state: 'error', error: errorMessage(err), partial: undefined })
      }
    },

    cancelParsing() {
      const parsing = get().turns.find((t) => t.state === 'parsing')
      if (!parsing) return false
      patch(parsing.id, { state: 'cancelled', partial: undefined })
      return true
    },

    async run(turnId) {
      const intent = turn(turnId)?.intent
      if (!intent || turn(turnId)?.execution?.status === 'running') return
      if (!intent.requiresConfirmation) {
        await execute(turnId, {})
        return
      }
      // The dialog opens with the dry run's steps and guardrails (a local call: milliseconds).
      const preview = await execute(turnId, { dryRun: true, quiet: true })
      if (preview && !get().pending) set({ pending: { turnId, preview } })
    },

    async dryRun(turnId) {
      await execute(turnId, { dryRun: true })
    },

    async confirm(answers) {
      const pending = get().pending
      if (!pending) return
      set({ pending: null })
      const intent = turn(pending.turnId)?.intent
      if (!intent) return
      const confirmation = intent.safety === 'critical' ? { typedName: answers.typedName ?? '' } : { confirmed: true }
      await execute(pending.turnId, { confirmation, ...(answers.consentBackup ? { consentBackup: true } : {}), ...(answers.override ? { override: answers.override } : {}) })
    },

    async decline() {
      const pending = get().pending
      if (!pending) return
      set({ pending: null })
      await execute(pending.turnId, { confirmation: { declined: true } })
    },

    clear() {
      set({ turns: [], pending: null })
    },
  }
}

export const useChat = create<ChatState>()(
  persist(chatState, {
    name: 'dwcp-chat',
    version: 1,
    storage: createJSONStorage(() => localStorage),
    partialize: (state) => ({ history: state.history.map(redactText), turns: state.turns.slice(-KEPT_TURNS).map(keptTurn) }),
    merge: (kept, current) => {
      const { history = [], turns = [] } = (kept ?? {}) as Partial<Pick<ChatState, 'history' | 'turns'>>
      return { ...current, history, turns: turns.map(interrupted) }
    },
  }),
)

/** Error texts kept in storage are cut to this length: enough to read, not a dump of what failed. */
const KEPT_ERROR_CHARS = 500

/**
 * A turn as written to the window's storage, which outlives the session: no half-streamed answer, and
 * no credential-shaped text anywhere (the host redacts its errors already; a browser-side failure,
 * or text the operator pasted, is not the host's).
 */
function keptTurn(turn: Turn): Turn {
  const { partial: _partial, ...rest } = turn
  const clip = (text: string) => redactText(text).slice(0, KEPT_ERROR_CHARS)
  const kept = redact(rest) as Turn
  return {
    ...kept,
    ...(kept.error ? { error: clip(kept.error) } : {}),
    ...(kept.execution?.message ? { execution: { ...kept.execution, message: clip(kept.execution.message) } } : {}),
  }
}

/** What was under way when the window went away cannot be followed any more: say so, and where to look. */
function interrupted(turn: Turn): Turn {
  if (turn.state === 'parsing') return { ...turn, state: 'cancelled', partial: undefined }
  if (turn.execution?.status !== 'running') return turn
  return { ...turn, execution: { ...turn.execution, status: 'refused', message: `The window closed while this ran; its outcome is in the Audit view (intent ${turn.intent?.id ?? '?'}).` } }
}

/** Claude's streamed answer and each execution step, as they happen (also while another view is open). */
export function connectChat(): void {
  api.on('intent:partial', ({ requestId, snapshot }) => {
    useChat.setState((state) => ({ turns: state.turns.map((t) => (t.id === requestId && t.state === 'parsing' ? { ...t, partial: snapshot } : t)) }))
  })
  api.on('intent:progress', ({ intentId, index, step, total }) => {
    useChat.setState((state) => ({
      turns: state.turns.map((t) => {
        if (t.intent?.id !== intentId || t.execution?.status !== 'running') return t
        const steps = [...t.execution.steps]
        while (steps.length < total) steps.push({ description: '…', method: '', input: {}, readOnly: true, state: 'pending' })
        steps[index] = step
        return { ...t, execution: { ...t.execution, steps } }
      }),
    }))
  })
}
