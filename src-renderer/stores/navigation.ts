import { create } from 'zustand'
import type { ViewId } from '../views/catalog'

interface NavigationStore {
  view: ViewId
  go(view: ViewId): void
}

export const useNavigation = create<NavigationStore>((set) => ({
  view: 'chat',
  go: (view) => set({ view }),
}))
