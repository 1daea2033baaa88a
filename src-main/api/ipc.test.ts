/**
 * The IPC bridge without Electron: Electron cannot run on this machine, so ipcMain and the sender are
 * stood in for by the two methods the bridge uses. The host behind it is real.
 */
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { createHost } from '../host'
import { tempHome } from '../testing/home'
import { CALL_CHANNEL, EVENT_CHANNEL, registerIpcBridge } from './ipc'

const APP_URL = 'file:///opt/dwcp/out/renderer/index.html'

function fakeElectron() {
  let handler: ((event: any, ...args: unknown[]) => Promise<any>) | undefined
  const ipcMain = { handle: (channel: string, fn: any) => channel === CALL_CHANNEL && (handler = fn), removeHandler: () => (handler = undefined) }
  const sent: unknown[][] = []
  const sender = Object.assign(new EventEmitter(), { id: 7, isDestroyed: () => false, send: (...args: unknown[]) => sent.push(args), mainFrame: { url: APP_URL } })
  const invoke = (frame: { url: string }, method: unknown, input: unknown) => handler!({ sender, senderFrame: frame }, method, input)
  return { ipcMain, sender, sent, invoke }
}

describe('IPC bridge', () => {
  it('runs calls from the app’s own top-level page and refuses any other frame', async () => {
    const host = createHost({ home: tempHome(), shell: 'test' })
    const electron = fakeElectron()
    registerIpcBridge(electron.ipcMain as any, host, { isTrustedUrl: (url) => url === APP_URL })

    expect(await electron.invoke(electron.sender.mainFrame, 'system.health', {})).toMatchObject({ ok: true, result: { status: 'ok' } })
    expect(await electron.invoke({ url: 'https://evil.example/' }, 'system.health', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    // An iframe of our own page is still not the main frame.
    expect(await electron.invoke({ url: APP_URL }, 'system.health', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    await host.close()
  })

  it('rejects a payload failing its schema without running the call', async () => {
    const host = createHost({ home: tempHome(), shell: 'test' })
    const electron = fakeElectron()
    registerIpcBridge(electron.ipcMain as any, host, { isTrustedUrl: (url) => url === APP_URL })
    const reply = await electron.invoke(electron.sender.mainFrame, 'settings.update', { theme: 'dark', extra: 'field' })
    expect(reply).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(host.settings.view().theme).toBe('system')
    expect(await electron.invoke(electron.sender.mainFrame, { not: 'a name' }, {})).toMatchObject({ ok: false, error: { code: 'not_found' } })
    await host.close()
  })

  it('sends events to the window and kills its terminals when the window goes', async () => {
    const host = createHost({ home: tempHome(), shell: 'test' })
    const electron = fakeElectron()
    registerIpcBridge(electron.ipcMain as any, host, { isTrustedUrl: (url) => url === APP_URL })
    const opened = await electron.invoke(electron.sender.mainFrame, 'terminal.open', { cols: 80, rows: 24 })
    expect(opened.ok).toBe(true)
    await electron.invoke(electron.sender.mainFrame, 'settings.update', { theme: 'light' })
    expect(electron.sent.some(([channel, event]) => channel === EVENT_CHANNEL && event === 'settings')).toBe(true)
    electron.sender.emit('destroyed')
    expect(host.terminals.list(`ipc-${electron.sender.id}`)).toEqual([])
    await host.close()
  })
})
