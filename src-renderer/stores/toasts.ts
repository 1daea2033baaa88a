import { create } from 'zustand'
import { errorMessage } from '../lib/errors'

export interface Toast {
  id: number
  tone: 'error' | 'info'
  message: string
}

interface ToastState {
  toasts: Toast[]
  push(tone: Toast['tone'], message: string): void
  dismiss(id: number): void
}

/** Errors stay until read a while (or dismissed); a wall of old toasts helps nobody. */
const LIFETIME_MS = { error: 12_000, info: 5_000 }
const MAX_VISIBLE = 4
let nextId = 1

export const useToasts = create<ToastState>((set, get) => ({
  toasts: [],
  push(tone, message) {
    const id = nextId++
    set((state) => ({ toasts: [...state.toasts, { id, tone, message }].slice(-MAX_VISIBLE) }))
    setTimeout(() => get().dismiss(id), LIFETIME_MS[tone])
  },
  dismiss(id) {
    set((state) => ({ toasts: state.toasts.filter((t) => t.id !== id) }))
  },
}))

/** Tell the user a call failed: "Could not create a backup: disk full". */
export function reportError(action: string, err: unknown): void {
  console.error(action, err)
  useToasts.getState().push('error', `${action}: ${errorMessage(err)}`)
}

export function reportInfo(message: string): void {
  useToasts.getState().push('info', message)
}
