/**
 * The preload: the renderer's only door to the main process. It exposes `window.dwcp` and nothing
 * else — two functions over two IPC channels — and strips the IPC event (it carries `sender`) before
 * a listener sees anything. Everything is validated again in main.
 */
import { contextBridge, ipcRenderer } from 'electron'

const CALL = 'dwcp:call'
const EVENT = 'dwcp:event'

type Listener = (event: string, data: unknown) => void

const listeners = new Set<Listener>()
ipcRenderer.on(EVENT, (_ipcEvent, event: string, data: unknown) => {
  for (const listener of listeners) listener(event, data)
})

const api = {
  /** Call a method of the contract; resolves with its result or rejects with `{ code, message, issues }`. */
  call: async (method: string, input: unknown): Promise<unknown> => {
    const reply = (await ipcRenderer.invoke(CALL, method, input)) as { ok: true; result: unknown } | { ok: false; error: unknown }
    if (reply.ok) return reply.result
    throw reply.error
  },
  /** Listen to every event of the contract; returns the function that stops listening. */
  onEvent: (listener: Listener): (() => void) => {
    listeners.add(listener)
    return () => void listeners.delete(listener)
  },
}

contextBridge.exposeInMainWorld('dwcp', api)
