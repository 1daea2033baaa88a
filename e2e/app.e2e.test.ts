/**
 * The browser UI as a user meets it: `dwcp serve` on a free port with a fresh data folder, the
 * one-time sign-in link, every view of the rail, a real shell in the terminal, settings in both
 * themes. Screenshots land in e2e/screenshots/ (ignored by git) to be looked at.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SHOTS, switchTheme } from './support/app'
import { launchChromium } from './support/browser'
import { startServe, type ServeProcess } from './support/server'
import { alive } from '../src-main/testing/process'


const VIEWS = [
  { id: 'chat', title: 'Chat' },
  { id: 'fleet', title: 'Fleet' },
  { id: 'wasm', title: 'WASM' },
  { id: 'release', title: 'Release' },
  { id: 'protocol', title: 'Protocol' },
  { id: 'audit', title: 'Audit' },
  { id: 'terminal', title: 'Terminal' },
  { id: 'settings', title: 'Settings' },
] as const

let serve: ServeProcess
let browser: Browser
let page: Page

beforeAll(async () => {
  serve = await startServe()
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('pageerror', (err) => console.error('page error:', err))
})

afterAll(async () => {
  await browser?.close()
  await serve?.stop()
})

/** A user waits a few seconds for the screen to show something, not one. */
const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 50 })

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}${name}.png` })
}

const setTheme = (theme: 'light' | 'dark') => switchTheme(page, theme)

/** Text of the visible terminal's rows, one string per row. */
function terminalRows(): Promise<string[]> {
  return page.locator('.xterm-rows:visible > div').allTextContents()
}

async function runInTerminal(command: string): Promise<void> {
  await page.locator('.xterm-helper-textarea:visible').focus()
  await page.keyboard.type(command)
  await page.keyboard.press('Enter')
}

describe('the browser UI', () => {
  it('refuses the UI without signing in, and signs in with the one-time link', async () => {
    await page.goto(serve.url)
    expect(page.url()).toMatch(/\/login$/)
    await shot('sign-in')
    await page.goto(serve.loginUrl)
    await eventually(() => page.url()).toBe(serve.url)
    await page.getByTestId('nav-chat').waitFor()
  })

  it('shows the connection and the protocol version in the status bar', async () => {
    await eventually(() => page.getByTestId('status-connection').innerText()).toMatch(/^Connected/)
    await eventually(() => page.getByTestId('status-protocol').innerText()).toContain('4.0.0')
  })

  for (const theme of ['light', 'dark'] as const) {
    it(`visits every view in the ${theme} theme; every one shows its engine at work`, async () => {
      await setTheme(theme)
      for (const view of VIEWS) {
        if (view.id === 'terminal') continue
        await page.getByTestId(`nav-${view.id}`).click()
        await eventually(() => page.locator('main h1').first().innerText()).toBe(view.title)
        expect(await page.getByTestId(`nav-${view.id}`).getAttribute('aria-current')).toBe('page')
        await page.getByTestId(`${view.id}-view`).waitFor()
        await shot(`${view.id}-${theme}`)
      }
    })
  }

  it('switches views from the keyboard', async () => {
    await page.locator('body').press('Control+6')
    await eventually(() => page.locator('main h1').first().innerText()).toBe('Audit')
    await page.locator('body').press('Control+8')
    await eventually(() => page.locator('main h1').first().innerText()).toBe('Settings')
  })

  it('runs a real shell in the terminal, keeps it across views, and kills it when its tab closes', async () => {
    await setTheme('dark')
    await page.getByTestId('nav-terminal').click()
    await page.getByTestId('terminal-tab').first().waitFor()
    await page.locator('.xterm-rows:visible').waitFor()

    await runInTerminal('echo hello')
    await eventually(async () => (await terminalRows()).map((r) => r.trim())).toContain('hello')
    await runInTerminal('echo "pid=$$"')
    let pid = 0
    await eventually(async () => {
      const row = (await terminalRows()).map((r) => r.trim()).find((r) => /^pid=\d+$/.test(r))
      return (pid = row ? Number(row.slice(4)) : 0)
    }).toBeGreaterThan(0)
    expect(alive(pid)).toBe(true)
    await runInTerminal('dwcp --version')
    await eventually(async () => (await terminalRows()).some((r) => /dwcp \d+\.\d+\.\d+ \(protocol/.test(r))).toBe(true)
    await shot('terminal-dark')

    // Away and back: the same shell, with its output, is still there.
    await page.getByTestId('nav-fleet').click()
    await page.getByTestId('nav-terminal').click()
    expect((await terminalRows()).map((r) => r.trim())).toContain('hello')

    await page.getByTestId('terminal-new').click()
    await eventually(() => page.getByTestId('terminal-tab').count()).toBe(2)
    await setTheme('light')
    await page.getByTestId('nav-terminal').click()
    await runInTerminal('echo second-tab')
    await eventually(async () => (await terminalRows()).map((r) => r.trim())).toContain('second-tab')
    await shot('terminal-light')

    await page.getByTestId('terminal-tab').first().getByTestId('terminal-tab-close').click()
    await eventually(() => page.getByTestId('terminal-tab').count()).toBe(1)
    await eventually(() => alive(pid)).toBe(false)
  })

  it('stores the API key without ever showing it back', async () => {
    const key = 'sk-ant-e2e-' + 'k'.repeat(32)
    await page.getByTestId('nav-settings').click()
    await page.getByTestId('api-key-input').fill(key)
    await page.getByTestId('api-key-save').click()
    await eventually(() => page.getByTestId('api-key-status').innerText()).toMatch(/^An API key is stored/)
    expect(await page.getByTestId('api-key-input').inputValue()).toBe('')
    expect(await page.content()).not.toContain(key)
    await shot('settings-api-key-light')

    await page.getByTestId('api-key-input').fill('short')
    await page.getByTestId('api-key-save').click()
    await eventually(() => page.locator('text=at least 20 characters').count()).toBeGreaterThan(0)
  })

  it('shows the audit log, verifies it, exports it and opens the bundle for review', async () => {
    await page.getByTestId('nav-audit').click()
    await page.getByTestId('audit-table').waitFor()
    // What the user did above is in the log: the API key change (never the key itself).
    await eventually(async () => (await page.getByTestId('audit-row').allInnerTexts()).join('\n')).toContain('settings.api-key.set')
    expect(await page.content()).not.toContain('sk-ant-e2e-')

    await page.getByTestId('audit-verify').click()
    await eventually(() => page.getByTestId('audit-verdict').getAttribute('data-ok')).toBe('true')
    await shot('audit-verified-light')

    await page.getByTestId('audit-search').fill('api-key')
    await eventually(async () => {
      const rows = await page.getByTestId('audit-row').allInnerTexts()
      return rows.length > 0 && rows.every((r) => r.includes('api-key'))
    }).toBe(true)

    await page.getByTestId('audit-export').click()
    await eventually(() => page.getByTestId('audit-export-result').innerText()).toMatch(/\.dwcpaudit/)
    const exported = readdirSync(join(serve.home, 'exports')).find((f) => f.endsWith('.dwcpaudit'))!
    await page.getByTestId('audit-bundle-input').setInputFiles(join(serve.home, 'exports', exported))
    await eventually(() => page.getByTestId('audit-review-banner').innerText()).toMatch(/this installation/i)
    expect(await page.getByTestId('audit-review-banner').innerText()).not.toMatch(/failed/i)
    await shot('audit-review-light')
  })

  it('opens an audit entry with its inclusion proof checked in the window, from the mouse and the keyboard', async () => {
    await page.getByTestId('audit-close-review').click()
    await page.getByTestId('audit-search').fill('')
    await eventually(() => page.getByTestId('audit-table').getAttribute('data-mode')).toBe('live')

    // By its seq, not "the first row": live entries (the bundle just opened) may still push rows down.
    const seq = await page.getByTestId('audit-row').first().getAttribute('data-seq')
    await page.locator(`[data-testid="audit-row"][data-seq="${seq}"]`).click()
    await eventually(() => page.getByTestId('audit-detail').getAttribute('data-seq')).toBe(seq)
    await eventually(() => page.getByTestId('audit-proof').getAttribute('data-checked')).toBe('true')
    await shot('audit-detail-light')

    // ↓ moves the selection and the panel follows; Esc closes it; Enter opens it again.
    await page.keyboard.press('ArrowDown')
    await eventually(() => page.getByTestId('audit-detail').getAttribute('data-seq')).toBe(String(Number(seq) - 1))
    await page.keyboard.press('Escape')
    await eventually(() => page.getByTestId('audit-detail').count()).toBe(0)
    await page.keyboard.press('Enter')
    await eventually(() => page.getByTestId('audit-detail').getAttribute('data-seq')).toBe(String(Number(seq) - 1))

    // "/" jumps to the search box.
    await page.keyboard.press('Escape')
    await page.keyboard.press('/')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('audit-search')
  })

  it('backs up the whole state from Settings', async () => {
    await setTheme('light')
    await page.getByTestId('backup-create').click()
    await eventually(() => page.locator('text=/dwcp-.*\\.db/').count()).toBeGreaterThan(0)
    await shot('settings-backups-light')
  })
})
