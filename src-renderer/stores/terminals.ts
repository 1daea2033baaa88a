import { create } from 'zustand'
import { api } from '../api/client'
import { baseName } from '../lib/format'
import { TerminalSession, type SessionStatus } from '../terminal/session'
import { useTheme } from './theme'

export interface TerminalTab {
  /** Local key: a tab exists before the host has given its shell an id. */
  key: string
  title: string
  status: SessionStatus
  exitCode?: number
}

interface TerminalsStore {
  tabs: TerminalTab[]
  activeKey: string | null
  /** The view opens one terminal by itself the first time it is shown, never again after. */
  autoOpened: boolean
  openTab(): void
  openFirstTabOnce(): void
  closeTab(key: string): void
  activate(key: string): void
  /** Type text at the active terminal's prompt (opening one if there is none), without running it. */
  sendText(text: string): void
}

/** The xterm instances, by tab key. Not React state: they are long-lived objects with their own DOM. */
const sessions = new Map<string, TerminalSession>()
/** The same sessions, by host id, to route output. */
const byHostId = new Map<string, TerminalSession>()
/** Output that arrived before terminal.open answered (the two may travel separately over IPC). */
const early = new Map<string, { data: string[]; exitCode?: number }>()
const EARLY_KEEP_MS = 10_000
let tabCounter = 0

export function sessionFor(key: string): TerminalSession | undefined {
  return sessions.get(key)
}

export const useTerminals = create<TerminalsStore>((set, get) => {
  const patch = (key: string, change: Partial<TerminalTab>) =>
    set((state) => ({ tabs: state.tabs.map((tab) => (tab.key === key ? { ...tab, ...change } : tab)) }))

  return {
    tabs: [],
    activeKey: null,
    autoOpened: false,

    openTab() {
      const number = ++tabCounter
      const key = `tab-${number}`
      const session = new TerminalSession(
        {
          started(info) {
            byHostId.set(info.id, session)
            patch(key, { status: 'running', title: `${baseName(info.shell)} ${number}` })
            deliverEarly(info.id, session)
          },
          ended(status, exitCode) {
            patch(key, { status, exitCode })
          },
        },
        useTheme.getState().applied,
      )
      sessions.set(key, session)
      set((state) => ({ tabs: [...state.tabs, { key, title: `Terminal ${number}`, status: 'starting' }], activeKey: key }))
    },

    openFirstTabOnce() {
      if (get().autoOpened) return
      set({ autoOpened: true })
      if (get().tabs.length === 0) get().openTab()
    },

    closeTab(key) {
      const session = sessions.get(key)
      if (session?.id) byHostId.delete(session.id)
      session?.dispose()
      sessions.delete(key)
      set((state) => {
        const index = state.tabs.findIndex((tab) => tab.key === key)
        const tabs = state.tabs.filter((tab) => tab.key !== key)
        // Closing the active tab moves to its right-hand neighbour, or the left one at the end.
        const activeKey = state.activeKey !== key ? state.activeKey : (tabs[Math.min(index, tabs.length - 1)]?.key ?? null)
        return { tabs, activeKey }
      })
    },

    activate(key) {
      if (sessions.has(key)) set({ activeKey: key })
    },

    sendText(text) {
      set({ autoOpened: true })
      const active = get().tabs.find((t) => t.key === get().activeKey)
      // A shell that has ended takes no input: a fresh one gets the text instead.
      if (!active || (active.status !== 'running' && active.status !== 'starting')) get().openTab()
      sessions.get(get().activeKey!)?.paste(text)
    },
  }
})

function deliverEarly(id: string, session: TerminalSession): void {
  const pending = early.get(id)
  if (!pending) return
  early.delete(id)
  for (const data of pending.data) session.receive(data)
  if (pending.exitCode !== undefined) session.exited(pending.exitCode)
}

function keepEarly(id: string): { data: string[]; exitCode?: number } {
  let pending = early.get(id)
  if (!pending) {
    early.set(id, (pending = { data: [] }))
    // Output of a shell nobody claims (one just closed) is dropped after a while.
    setTimeout(() => early.delete(id), EARLY_KEEP_MS)
  }
  return pending
}

/** Route terminal events to their sessions and keep every terminal in step with the app. */
export function connectTerminals(): () => void {
  const stops = [
    api.on('terminal:data', ({ id, data }) => {
      const session = byHostId.get(id)
      if (session) session.receive(data)
      else if (isStarting()) keepEarly(id).data.push(data)
    }),
    api.on('terminal:exit', ({ id, exitCode }) => {
      const session = byHostId.get(id)
      if (session) session.exited(exitCode)
      else if (isStarting()) keepEarly(id).exitCode = exitCode
    }),
    api.onConnection((state) => {
      if (state === 'reconnecting' || state === 'signed-out') for (const session of sessions.values()) session.connectionLost()
      if (state === 'connected') void closeOrphans()
    }),
    useTheme.subscribe(({ applied }) => {
      for (const session of sessions.values()) session.setTheme(applied)
    }),
  ]
  return () => stops.forEach((stop) => stop())
}

function isStarting(): boolean {
  for (const session of sessions.values()) if (session.status === 'starting') return true
  return false
}

/**
 * In the desktop app a reload keeps the window, so the host still runs the shells this window opened
 * before; nothing can show them again (their screens are gone), so close them. A browser gets a new
 * connection, and the host already closed the old one's shells.
 */
async function closeOrphans(): Promise<void> {
  if (api.transport !== 'ipc' || isStarting()) return
  try {
    const open = await api.call('terminal.list', {})
    for (const info of open) {
      if (!byHostId.has(info.id) && !isStarting()) await api.call('terminal.close', { id: info.id })
    }
  } catch (err) {
    console.warn('could not tidy terminals left from before a reload', err)
  }
}
