import type { IconName } from '../components/Icon'

export type ViewId = 'chat' | 'fleet' | 'wasm' | 'release' | 'protocol' | 'audit' | 'terminal' | 'settings'

export interface ViewDef {
  id: ViewId
  label: string
  icon: IconName
}

/** The rail, in order; Ctrl+1… (⌘1… on macOS) follow this order. */
export const VIEWS: readonly ViewDef[] = [
  { id: 'chat', label: 'Chat', icon: 'chat' },
  { id: 'fleet', label: 'Fleet', icon: 'fleet' },
  { id: 'wasm', label: 'WASM', icon: 'wasm' },
  { id: 'release', label: 'Release', icon: 'release' },
  { id: 'protocol', label: 'Protocol', icon: 'protocol' },
  { id: 'audit', label: 'Audit', icon: 'audit' },
  { id: 'terminal', label: 'Terminal', icon: 'terminal' },
  { id: 'settings', label: 'Settings', icon: 'settings' },
]

export function viewDef(id: ViewId): ViewDef {
  return VIEWS.find((v) => v.id === id) ?? VIEWS[0]
}
