/**
 * Electron entry: the window, the menu and the IPC bridge. With src-main/api/ipc.ts these are the only
 * files that import 'electron'; everything else is the host, which runs the same without a window.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, safeStorage, session, shell, type MenuItemConstructorOptions } from 'electron'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { registerIpcBridge } from './api/ipc'
import { createHost, type Host } from './host'
import { installProcessGuard } from './process-guard'
import { defaultHome, projectRoot } from './paths'
import { DEFAULT_AGENT_PORT } from './protocol'
import type { SecretCipher } from './settings'
import { PRODUCT_NAME } from './version'

const rendererFile = join(projectRoot(), 'out', 'renderer', 'index.html')
const preloadFile = join(projectRoot(), 'out', 'preload', 'index.cjs')
const devServerUrl = process.env.ELECTRON_RENDERER_URL

/** Secrets sealed by the OS keychain (Keychain, DPAPI, libsecret/kwallet). */
const safeStorageCipher: SecretCipher = {
  kind: 'electron-safe-storage',
  seal: (plain) => safeStorage.encryptString(plain).toString('base64'),
  open: (sealed) => safeStorage.decryptString(Buffer.from(sealed, 'base64')),
}

function isTrustedUrl(url: string): boolean {
  if (devServerUrl && url.startsWith(devServerUrl)) return true
  return url.split('#')[0] === pathToFileURL(rendererFile).href
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 560,
    title: PRODUCT_NAME,
    show: false,
    backgroundColor: '#111418',
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      spellcheck: false,
    },
  })
  window.once('ready-to-show', () => window.show())
  // The window shows our page only: links to the web open in the user's browser, nothing else navigates.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault()
  })
  if (devServerUrl) void window.loadURL(devServerUrl)
  else void window.loadFile(rendererFile)
  return window
}

function buildMenu(): void {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
}

async function start(): Promise<void> {
  await app.whenReady()
  // The UI needs no permission but writing the clipboard (copy from the terminal).
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(permission === 'clipboard-sanitized-write'))
  let host: Host
  try {
    host = createHost({
      home: defaultHome(),
      shell: 'electron',
      ...(safeStorage.isEncryptionAvailable() ? { secretCipher: safeStorageCipher } : {}),
      cliCommand: [process.execPath, join(projectRoot(), 'src-main', 'cli', 'dwcp.mjs')],
    })
  } catch (err) {
    dialog.showErrorBox(`${PRODUCT_NAME} cannot start`, err instanceof Error ? err.message : String(err))
    app.exit(1)
    return
  }
  installProcessGuard({ name: PRODUCT_NAME, home: host.home, logger: () => host.log, close: () => host.close(), exit: (code) => app.exit(code) })
  // Edge agents connect here, as to `dwcp serve` (same default port; DWCP_AGENT_HOST/PORT change it).
  const agentHost = process.env.DWCP_AGENT_HOST ?? '127.0.0.1'
  const agentPort = Number(process.env.DWCP_AGENT_PORT ?? DEFAULT_AGENT_PORT)
  host.protocol.listen(agentHost, agentPort).catch((err: Error) => console.warn(`not listening for agents on ${agentHost}:${agentPort}: ${err.message}`))
  const disposeBridge = registerIpcBridge(ipcMain, host, { isTrustedUrl })
  buildMenu()
  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  let closing = false
  app.on('will-quit', (event) => {
    if (closing) return
    closing = true
    event.preventDefault()
    disposeBridge()
    void host.close().finally(() => app.exit(0))
  })
}

void start()
