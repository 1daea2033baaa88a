/**
 * The real desktop app through Playwright's _electron, when an Electron binary exists (set
 * ELECTRON_OVERRIDE_DIST_PATH, or an install that could download it). Skipped, saying why, otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { _electron } from 'playwright-core'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs helper shared with `npm start`
import { findElectron } from '../native/electron-binary.mjs'

const electron = findElectron() as { path: string; version: string } | { missing: string }
const root = fileURLToPath(new URL('..', import.meta.url))
const hasDisplay = process.platform !== 'linux' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY
const skipReason = 'missing' in electron ? `no Electron binary: ${electron.missing}` : !hasDisplay ? 'no display (run under xvfb-run)' : ''

if (skipReason) console.log(`electron e2e skipped: ${skipReason}`)

describe.skipIf(!!skipReason)('the desktop app (Electron)', () => {
  it('opens the window with the rail, a sandboxed renderer and window.dwcp only', async () => {
    const home = mkdtempSync(join(tmpdir(), 'dwcp-electron-'))
    const app = await _electron.launch({
      executablePath: (electron as { path: string }).path,
      args: [root, '--no-sandbox'],
      env: { ...process.env, DWCP_HOME: home } as Record<string, string>,
    })
    try {
      const window = await app.firstWindow()
      await window.getByTestId('nav-chat').waitFor()
      expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined')
      expect(await window.evaluate(() => Object.keys((window as unknown as { dwcp: object }).dwcp).sort())).toEqual(['call', 'onEvent'])
      await expect.poll(() => window.getByTestId('status-connection').innerText()).toMatch(/Connected/)
      await window.screenshot({ path: fileURLToPath(new URL('./screenshots/electron.png', import.meta.url)) })
    } finally {
      await app.close()
      rmSync(home, { recursive: true, force: true })
    }
  })
})
