/**
 * The IPC bridge of the desktop app. One channel carries every call of the contract; the sender's
 * frame must be our own top-level page, and the payload goes through the same validating dispatch as
 * HTTP and WebSocket calls.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import type { Host } from '../host'
import type { CallContext } from './dispatch'
import { ApiError, toApiError } from './errors'

export const CALL_CHANNEL = 'dwcp:call'
export const EVENT_CHANNEL = 'dwcp:event'

export interface IpcBridgeOptions {
  /** Is this URL one of our own pages? (file:// of out/renderer, or the dev server in development) */
  isTrustedUrl(url: string): boolean
}

export function registerIpcBridge(ipcMain: IpcMain, host: Host, options: IpcBridgeOptions): () => void {
  const contexts = new Map<number, CallContext>()
  const contextFor = (sender: WebContents): CallContext => {
    let ctx = contexts.get(sender.id)
    if (!ctx) {
      const clientId = `ipc-${sender.id}`
      const emit = (event: string, data: unknown) => {
        if (!sender.isDestroyed()) sender.send(EVENT_CHANNEL, event, data)
      }
      const created: CallContext = { clientId, transport: 'ipc', emit }
      ctx = created
      contexts.set(sender.id, created)
      const unsubscribe = host.events.subscribe(emit)
      // Bruno's rule: what a window opened goes with the window.
      sender.once('destroyed', () => {
        unsubscribe()
        contexts.delete(sender.id)
        host.dropClient(clientId)
      })
      // A reload keeps the WebContents but starts a new page: the old page's shells go with it.
      sender.on('did-start-navigation', (details: { isMainFrame?: boolean; isSameDocument?: boolean }) => {
        if (details?.isMainFrame && !details.isSameDocument) host.dropClient(clientId)
      })
    }
    return ctx
  }

  ipcMain.handle(CALL_CHANNEL, async (event: IpcMainInvokeEvent, method: unknown, input: unknown) => {
    try {
      const frame = event.senderFrame
      if (!frame || frame !== event.sender.mainFrame || !options.isTrustedUrl(frame.url)) {
        throw new ApiError('forbidden', 'calls are accepted only from the app’s own window')
      }
      const result = await host.call(typeof method === 'string' ? method : '', input, contextFor(event.sender))
      return { ok: true, result }
    } catch (err) {
      return { ok: false, error: toApiError(err).toBody().error }
    }
  })
  return () => ipcMain.removeHandler(CALL_CHANNEL)
}
