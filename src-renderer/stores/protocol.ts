import { create } from 'zustand'
import type { ProtocolStatus } from '../../src-main/api/contract'
import { api } from '../api/client'
import { errorMessage } from '../lib/errors'

interface CallResult {
  agent: string
  ok: boolean
  text: string
  roundTripMs?: number
}

export type DecodeKind = 'v4' | 'v3-udp' | 'hde-v3' | 'v3-federation'

interface ProtocolState {
  status: ProtocolStatus | null
  error: string | null
  token: { token: string; expiresAt: string } | null
  lastCall: CallResult | null
  decoded: { fields: Record<string, unknown> } | { error: string } | null
  /** The Decode card's input; a v3 federation keep-alive to start from. */
  decodeInput: { hex: string; as: DecodeKind | '' }
  refresh(): Promise<void>
  issueToken(): Promise<void>
  setAllowV3(allow: boolean): Promise<void>
  forget(name: string): Promise<void>
  runOn(agent: string): Promise<void>
  decode(hex: string, as?: DecodeKind): Promise<void>
}

export const useProtocol = create<ProtocolState>((set, get) => ({
  status: null,
  error: null,
  token: null,
  lastCall: null,
  decoded: null,
  decodeInput: { hex: '0000000000000000000000006740cce7', as: '' },

  async refresh() {
    try {
      set({ status: await api.call('protocol.status', {}), error: null })
    } catch (err) {
      set({ error: errorMessage(err) })
    }
  },

  async issueToken() {
    set({ token: await api.call('protocol.token', {}) })
  },

  async setAllowV3(allow) {
    await api.call('protocol.allowV3', { allow })
    await get().refresh()
  },

  async forget(name) {
    await api.call('protocol.forget', { name })
    await get().refresh()
  },

  async runOn(agent) {
    try {
      const r = await api.call('protocol.call', { agent, builtin: 'trivial', invoke: 'add', args: [2, 3] })
      const values = (r.result as { values?: unknown[] } | null)?.values
      set({ lastCall: { agent, ok: true, text: `trivial.add(2, 3) = ${values?.join(', ') ?? '?'}`, roundTripMs: r.roundTripMs } })
    } catch (err) {
      set({ lastCall: { agent, ok: false, text: errorMessage(err) } })
    }
  },

  async decode(hex, as) {
    try {
      set({ decoded: { fields: await api.call('protocol.decode', { hex, ...(as ? { as } : {}) }) } })
    } catch (err) {
      set({ decoded: { error: errorMessage(err) } })
    }
  },
}))
