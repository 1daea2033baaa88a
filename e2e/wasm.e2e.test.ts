/**
 * The WASM view as a user meets it: run a built-in workload, upload a module of their own and call
 * it, get a clear error for a file that is not WebAssembly, and see the figures, the cache and the
 * tenants move.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SHOTS, switchTheme } from './support/app'
import { launchChromium } from './support/browser'
import { startServe, type ServeProcess } from './support/server'

const TRIVIAL = fileURLToPath(new URL('../resources/wasm/trivial.wasm', import.meta.url))

let serve: ServeProcess
let browser: Browser
let page: Page

beforeAll(async () => {
  serve = await startServe()
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
  page.on('pageerror', (err) => console.error('page error:', err))
  await page.goto(serve.loginUrl)
  await page.getByTestId('nav-wasm').click()
  await page.getByTestId('wasm-view').waitFor()
})

afterAll(async () => {
  await browser?.close()
  await serve?.stop()
})

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 50 })

describe('the WASM view', () => {
  it('runs the built-in HTTP handler: a cold start in a new tenant, then warm', async () => {
    await eventually(() => page.getByTestId('wasm-source').locator('option').count()).toBeGreaterThan(3)
    // The default tenant is pre-warmed when the host starts; a tenant of its own starts cold.
    await page.getByTestId('wasm-tenant').fill('e2e-cold')
    await page.getByTestId('wasm-run-button').click()
    await eventually(() => page.getByTestId('wasm-output').innerText()).toContain('hello from wasm: /hello')
    expect(await page.getByTestId('wasm-result').innerText()).toMatch(/cold start/)
    await page.getByTestId('wasm-input').focus()
    await page.keyboard.press('Control+Enter')
    await eventually(() => page.getByTestId('wasm-result').innerText()).toMatch(/warm/)
    await eventually(() => page.getByTestId('wasm-warm').innerText()).toMatch(/^WARM CALLS\s*1\b/i)
    await eventually(async () => (await page.getByTestId('wasm-cache').innerText()).includes('http')).toBe(true)
  })

  it('uploads a module and calls its function with numbers, in a tenant of its own', async () => {
    await page.getByTestId('wasm-upload').setInputFiles(TRIVIAL)
    await page.getByTestId('wasm-invoke').fill('add')
    await page.getByTestId('wasm-args').fill('2 40')
    await page.getByTestId('wasm-tenant').fill('team-a')
    await page.getByTestId('wasm-run-button').click()
    await eventually(() => page.getByTestId('wasm-values').innerText()).toBe('42')
    await eventually(async () => (await page.getByTestId('wasm-tenant-row').allInnerTexts()).some((r) => r.startsWith('team-a'))).toBe(true)
  })

  it('says plainly when a file is not WebAssembly, or a call does not exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dwcp-e2e-wasm-'))
    writeFileSync(join(dir, 'notes.wasm'), 'these are my notes, not a module')
    await page.getByTestId('wasm-upload').setInputFiles(join(dir, 'notes.wasm'))
    await page.getByTestId('wasm-invoke').fill('add')
    await page.getByTestId('wasm-run-button').click()
    await eventually(() => page.getByTestId('wasm-error').innerText()).toMatch(/not a WebAssembly binary/)

    await page.getByTestId('wasm-upload').setInputFiles(TRIVIAL)
    await page.getByTestId('wasm-invoke').fill('multiply')
    await page.getByTestId('wasm-run-button').click()
    await eventually(() => page.getByTestId('wasm-error').innerText()).toMatch(/exports no function "multiply" \(it exports: add, noop\)/)
    await eventually(() => page.getByTestId('wasm-failures').innerText()).toMatch(/2/)
  })

  for (const theme of ['light', 'dark'] as const) {
    it(`looks right in the ${theme} theme`, async () => {
      await switchTheme(page, theme)
      await page.getByTestId('nav-wasm').click()
      await page.getByTestId('wasm-source').selectOption('http')
      await page.getByTestId('wasm-run-button').click()
      await eventually(() => page.getByTestId('wasm-output').isVisible()).toBe(true)
      await page.screenshot({ path: `${SHOTS}wasm-${theme}.png` })
    })
  }
})
