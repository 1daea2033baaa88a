import { create } from 'zustand'
import type { Settings, Theme } from '../../src-main/api/contract'
import { api } from '../api/client'
import { reportError } from './toasts'

interface SettingsStore {
  settings: Settings | null
  load(): Promise<void>
  /** Apply a theme at once, then confirm with the host (which tells other windows). */
  setTheme(theme: Theme): Promise<void>
  /** Throws CallFailed so the form can show the problem next to the field. */
  setApiKey(apiKey: string): Promise<void>
  clearApiKey(): Promise<void>
  /** Settings pushed by the host: another window (or a restore) changed them. */
  received(settings: Settings): void
}

export const useSettings = create<SettingsStore>((set, get) => ({
  settings: null,
  async load() {
    try {
      set({ settings: await api.call('settings.get', {}) })
    } catch (err) {
      reportError('Could not read the settings', err)
    }
  },
  async setTheme(theme) {
    const before = get().settings
    if (before) set({ settings: { ...before, theme } })
    try {
      set({ settings: await api.call('settings.update', { theme }) })
    } catch (err) {
      if (before) set({ settings: before })
      reportError('Could not change the theme', err)
    }
  },
  async setApiKey(apiKey) {
    set({ settings: await api.call('settings.setApiKey', { apiKey }) })
  },
  async clearApiKey() {
    set({ settings: await api.call('settings.clearApiKey', {}) })
  },
  received(settings) {
    set({ settings })
  },
}))
