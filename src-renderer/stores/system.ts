import { create } from 'zustand'
import type { SystemInfo } from '../../src-main/api/contract'
import { api } from '../api/client'
import { reportError } from './toasts'

interface SystemStore {
  info: SystemInfo | null
  load(): Promise<void>
}

/** Version, data folder, runtime and the state of every engine: read once per connection. */
export const useSystem = create<SystemStore>((set) => ({
  info: null,
  async load() {
    try {
      set({ info: await api.call('system.info', {}) })
    } catch (err) {
      reportError('Could not read the host’s information', err)
    }
  },
}))
