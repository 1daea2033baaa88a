import type { EngineId } from '../../src-main/api/contract'
import type { IconName } from '../components/Icon'

export type ViewId = 'chat' | 'fleet' | 'wasm' | 'release' | 'protocol' | 'audit' | 'terminal' | 'settings'

export interface ViewDef {
  id: ViewId
  label: string
  icon: IconName
  /** The engine the view is a face of; while it is not built, the view says so instead of faking it. */
  engine?: EngineId
  /** What the view will show once its engine is built: one plain sentence, no promises of detail. */
  purpose?: string
}

/** The rail, in order; Ctrl+1… (⌘1… on macOS) follow this order. */
export const VIEWS: readonly ViewDef[] = [
  {
    id: 'chat',
    label: 'Chat',
    icon: 'chat',
    engine: 'intent',
    purpose: 'Describe an operation in plain words, review the plan it becomes, and approve it before anything runs.',
  },
  {
    id: 'fleet',
    label: 'Fleet',
    icon: 'fleet',
    engine: 'orchestrator',
    purpose: 'The edge devices and cloud nodes you operate, their health, and where workloads are placed.',
  },
  {
    id: 'wasm',
    label: 'WASM',
    icon: 'wasm',
    engine: 'wasm',
    purpose: 'The pool of WebAssembly workers and the modules loaded into it.',
  },
  {
    id: 'release',
    label: 'Release',
    icon: 'release',
    engine: 'release',
    purpose: 'Feature flags, staged rollouts, and rollback to protocol v3.',
  },
  {
    id: 'protocol',
    label: 'Protocol',
    icon: 'protocol',
    engine: 'protocol',
    purpose: 'Peers speaking DWCP v4 or v3, the version each link negotiated, and its health.',
  },
  {
    id: 'audit',
    label: 'Audit',
    icon: 'audit',
    engine: 'audit',
    purpose: 'A tamper-evident record of every operation, which you can review and verify offline.',
  },
  { id: 'terminal', label: 'Terminal', icon: 'terminal' },
  { id: 'settings', label: 'Settings', icon: 'settings' },
]

export function viewDef(id: ViewId): ViewDef {
  return VIEWS.find((v) => v.id === id) ?? VIEWS[0]
}
