import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from './browser'
import { startServe, type ServeProcess } from './server'

/** Where every e2e test writes its screenshots (looked at by people, not compared by machines). */
export const SHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url))
mkdirSync(SHOTS, { recursive: true })

export interface OpenApp {
  serve: ServeProcess
  browser: Browser
  page: Page
  close(): Promise<void>
}

/** A fresh `dwcp serve`, Chromium signed in with its one-time link, on one view. */
export async function openApp(view: string, options: { home?: string; viewport?: { width: number; height: number } } = {}): Promise<OpenApp> {
  const serve = await startServe(options.home ? { home: options.home } : {})
  const browser = await launchChromium()
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1440, height: 1000 } })
  page.on('pageerror', (err) => console.error('page error:', err))
  await page.goto(serve.loginUrl)
  await page.getByTestId(`nav-${view}`).click()
  await page.getByTestId(`${view}-view`).waitFor()
  return {
    serve,
    browser,
    page,
    async close() {
      await browser.close()
      await serve.stop()
    },
  }
}

/** Choose a theme in Settings, as a user would, and wait until the page wears it. */
export async function switchTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  await page.getByTestId('nav-settings').click()
  await page.getByTestId(`theme-${theme}`).click()
  await page.waitForFunction((wanted) => document.documentElement.dataset.theme === wanted, theme)
}
