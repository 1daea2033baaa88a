import { create } from 'zustand'
import type { Adopter, AlphaStatus, FeedbackItem, ReleaseFlag } from '../../src-main/api/contract'
import { api } from '../api/client'

interface ReleaseState {
  status: AlphaStatus | null
  flags: ReleaseFlag[]
  adopters: Adopter[]
  feedback: FeedbackItem[]
  /** When the figures were fetched: SLA timers count from here between refreshes. */
  fetchedAt: number
  refresh(): Promise<void>
}

export const useRelease = create<ReleaseState>((set) => ({
  status: null,
  flags: [],
  adopters: [],
  feedback: [],
  fetchedAt: 0,
  async refresh() {
    const [status, flags, adopters, feedback] = await Promise.all([
      api.call('release.status', {}),
      api.call('release.flags.list', {}),
      api.call('release.adopters.list', {}),
      api.call('release.feedback.list', {}),
    ])
    set({ status, flags, adopters, feedback, fetchedAt: Date.now() })
  },
}))
