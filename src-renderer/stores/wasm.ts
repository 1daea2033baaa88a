import { create } from 'zustand'
import type { CallInput, WasmCachedModule, WasmExecuteResult, WasmMetricsView } from '../../src-main/api/contract'
import { api } from '../api/client'
import { errorMessage } from '../lib/errors'

export interface Builtin {
  name: string
  description: string
  defaultExport: string
  bytes: boolean
}

interface WasmState {
  metrics: WasmMetricsView | null
  modules: WasmCachedModule[]
  builtins: Builtin[]
  running: boolean
  result: WasmExecuteResult | null
  error: string | null
  refresh(): Promise<void>
  loadBuiltins(): Promise<void>
  run(input: CallInput<'wasm.execute'>): Promise<void>
}

export const useWasm = create<WasmState>((set) => ({
  metrics: null,
  modules: [],
  builtins: [],
  running: false,
  result: null,
  error: null,

  async refresh() {
    const [metrics, modules] = await Promise.all([api.call('wasm.metrics', {}), api.call('wasm.modules', {})])
    set({ metrics, modules })
  },

  async loadBuiltins() {
    set({ builtins: await api.call('wasm.builtins', {}) })
  },

  async run(input) {
    set({ running: true, error: null })
    try {
      const result = await api.call('wasm.execute', input)
      set({ result })
    } catch (err) {
      set({ result: null, error: errorMessage(err) })
    } finally {
      set({ running: false })
    }
  },
}))

/** Read a picked file as base64 without blowing the stack on large files. */
export async function fileToBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}
