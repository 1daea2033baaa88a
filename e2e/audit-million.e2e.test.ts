/**
 * The Audit view over a log of one million entries, as the issue asks: the newest, the oldest and the
 * middle are all reachable by scrolling and by the keyboard, the row under the scroll position is the
 * one expected, and search and verification still answer. The log is written straight into the
 * data folder before the server starts (about half a minute), the way a year of operations would be.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuditService } from '../src-main/audit'
import { Store } from '../src-main/store'
import { SHOTS } from './support/app'
import { launchChromium } from './support/browser'
import { startServe, type ServeProcess } from './support/server'

const N = 1_000_000

let serve: ServeProcess
let browser: Browser
let page: Page

function seed(home: string): void {
  const store = Store.open({ home })
  const audit = new AuditService(store, { product: 'e2e' })
  const actions = ['deploy', 'scale', 'backup.create', 'destroy']
  for (let from = 0; from < N; from += 5000) {
    audit.log.appendBatch(
      Array.from({ length: 5000 }, (_, i) => ({
        actor: (from + i) % 3 === 0 ? 'user' : `agent:edge-${(from + i) % 7}`,
        action: actions[(from + i) % 4],
        target: `web-${from + i}`,
        safety: (['caution', 'caution', 'caution', 'critical'] as const)[(from + i) % 4],
        outcome: (from + i) % 11 === 0 ? 'failed' : 'ok',
        details: { replicas: (from + i) % 9, region: (from + i) % 2 ? 'us-west-2' : 'eu-central-1' },
      })),
    )
  }
  audit.close()
  store.close()
}

beforeAll(async () => {
  const home = mkdtempSync(join(tmpdir(), 'dwcp-e2e-1m-'))
  seed(home)
  serve = await startServe({ home })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('pageerror', (err) => console.error('page error:', err))
  await page.goto(serve.loginUrl)
  await page.getByTestId('nav-audit').click()
  await page.getByTestId('audit-table').waitFor()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await serve?.stop()
})

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000, interval: 50 })

/** The seq numbers of the rows on screen, top to bottom. */
async function visibleSeqs(): Promise<number[]> {
  return page.evaluate(() => {
    const table = document.querySelector('[data-testid="audit-table"]')!.getBoundingClientRect()
    return [...document.querySelectorAll('[data-testid="audit-row"]')]
      .filter((row) => {
        const r = row.getBoundingClientRect()
        return r.bottom > table.top && r.top < table.bottom
      })
      .map((row) => Number(row.getAttribute('data-seq')))
  })
}

describe('the Audit view with a million entries', () => {
  it('shows the newest entries first and the size of the log', async () => {
    await eventually(async () => (await visibleSeqs())[0]).toBeGreaterThanOrEqual(N - 1)
    expect(await page.getByTestId('audit-count').innerText()).toMatch(/1,000,0\d\d/)
  })

  it('reaches the oldest entry with End, and the newest again with Home, rows in order', async () => {
    await page.locator('[data-testid="audit-row"]').first().click()
    await page.keyboard.press('End')
    await eventually(async () => (await visibleSeqs()).includes(0)).toBe(true)
    const seqs = await visibleSeqs()
    expect(seqs.at(-1)).toBe(0)
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a))
    await eventually(() => page.getByTestId('audit-detail').getAttribute('data-seq')).toBe('0')
    await page.screenshot({ path: `${SHOTS}audit-1m-end.png` })
    await page.keyboard.press('Home')
    await eventually(async () => (await visibleSeqs())[0]).toBeGreaterThanOrEqual(N - 1)
  })

  it('lands in the middle when the scroll bar is moved there, with every row in between reachable', async () => {
    // Half-way down the scroll area is half-way through the log, however tall the list really is.
    await page.getByTestId('audit-table').evaluate((el) => {
      const scroller = el.querySelector('.audit-scroll') as HTMLElement
      scroller.scrollTop = (scroller.scrollHeight - scroller.clientHeight) / 2
    })
    await eventually(async () => {
      const seqs = await visibleSeqs()
      return seqs.length > 5 && Math.abs(seqs[0] - N / 2) < N / 100 && seqs.every((s, i) => i === 0 || s === seqs[i - 1] - 1)
    }).toBe(true)
    await page.screenshot({ path: `${SHOTS}audit-1m-middle.png` })
    // Page Down from there moves the selection by a screenful and keeps it on screen: no row is
    // unreachable in a scaled list.
    const before = await visibleSeqs()
    const clicked = before[Math.floor(before.length / 2)]
    await page.locator(`[data-testid="audit-row"][data-seq="${clicked}"]`).click()
    await eventually(() => page.getByTestId('audit-detail').getAttribute('data-seq')).toBe(String(clicked))
    await page.keyboard.press('PageDown')
    await eventually(async () => Number(await page.getByTestId('audit-detail').getAttribute('data-seq'))).toBeLessThan(clicked)
    const selected = Number(await page.getByTestId('audit-detail').getAttribute('data-seq'))
    expect(clicked - selected).toBeLessThanOrEqual(before.length)
    await eventually(async () => (await visibleSeqs()).includes(selected)).toBe(true)
  })

  it('searches and filters a million entries', async () => {
    await page.getByTestId('audit-search').fill('web-777777')
    await eventually(async () => (await page.getByTestId('audit-row').allInnerTexts()).join('\n')).toContain('web-777777')
    expect(await page.getByTestId('audit-row').count()).toBe(1)
    await page.getByTestId('audit-search').fill('')
  })

  it('verifies the whole log and says so', async () => {
    await page.getByTestId('audit-verify').click()
    await eventually(() => page.getByTestId('audit-verdict').getAttribute('data-ok')).toBe('true')
    expect(await page.getByTestId('audit-verdict').innerText()).toMatch(/1,000,0\d\d/)
  })
})
