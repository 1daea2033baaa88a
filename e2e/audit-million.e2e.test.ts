/**
 * The Audit view over a log of one million entries, as the issue asks: the newest, the oldest and the
 * middle are all reachable by scrolling and by the keyboard, the row under the scroll position is the
 * one expected, and search and verification still answer. The log is written straight into the
 * data folder before the server starts (about half a minute), the way a year of operations would be.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { AuditService } from '../src-main/audit'
import { openSqlite, Store } from '../src-main/store'
import { SHOTS } from './support/app'
import { launchChromium } from './support/browser'
import { probeHealth, stillRunning } from './support/red-team'
import { dwcp, launcher, startServe, type ServeProcess } from './support/server'

const N = 1_000_000
/** The console signs a head every 2 s here (a minute by default), so every export straddles ticks. */
const HEAD_INTERVAL_MS = 2000

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
  process.env.DWCP_AUDIT_HEAD_INTERVAL_MS = String(HEAD_INTERVAL_MS)
  try {
    serve = await startServe({ home })
  } finally {
    delete process.env.DWCP_AUDIT_HEAD_INTERVAL_MS
  }
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('pageerror', (err) => console.error('page error:', err))
  await page.goto(serve.loginUrl)
  await page.getByTestId('nav-audit').click()
  await page.getByTestId('audit-table').waitFor()
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await serve?.stop()
})

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 50 })

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

  it('exports all million entries five times in a row across head-signing ticks, the host alive and every bundle verifying', async () => {
    // The export is the Audit view's call (audit.export over the WebSocket), made directly rather than
    // through clicks: five exports of a million entries take minutes, and the clicks add nothing here.
    const token = dwcp(serve.home, 'token').trim()
    const socket = new WebSocket(new URL('/v4/stream', serve.url).href.replace(/^http/, 'ws'), { headers: { authorization: `Bearer ${token}` } })
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
    let id = 0
    const call = (method: string, input: unknown) =>
      new Promise<{ type: string; result?: any; error?: { message: string } }>((resolve) => {
        const mine = ++id
        const onMessage = (raw: WebSocket.RawData) => {
          const message = JSON.parse(raw.toString())
          if (message.id !== mine) return
          socket.off('message', onMessage)
          resolve(message)
        }
        socket.on('message', onMessage)
        socket.send(JSON.stringify({ id: mine, method, input }))
      })
    const verifications: Promise<{ code: number | null; out: string }>[] = []
    const db = openSqlite(join(serve.home, 'dwcp.db'), { readonly: true, fileMustExist: true })
    const intervalHeadsSince = (time: string) => (db.prepare("SELECT COUNT(*) FROM audit_heads WHERE reason = 'interval' AND made_at > ?").pluck().get(time) as number)
    try {
      for (let round = 1; round <= 5; round++) {
        const started = new Date().toISOString()
        // Someone keeps working meanwhile: each change is an audit entry, so each tick has a head to sign.
        let working = true
        const work = (async () => {
          for (let i = 0; working; i++) {
            await call('settings.update', { theme: i % 2 ? 'dark' : 'light' })
            await new Promise((resolve) => setTimeout(resolve, 250))
          }
        })()
        const probe = probeHealth(serve.url, { everyMs: 200 })
        const answer = await call('audit.export', { file: `all-${round}.dwcpaudit` })
        working = false
        await work
        const health = await probe.stop()
        expect(answer.error?.message).toBeUndefined()
        expect(answer.result).toMatchObject({ complete: true })
        expect(answer.result.entries).toBeGreaterThanOrEqual(N)
        expect(stillRunning(serve.child)).toBe(true)
        expect(health.failures).toBe(0)
        expect(intervalHeadsSince(started)).toBeGreaterThan(0)
        // Checked offline by the CLI, as an auditor would, while the next export runs.
        verifications.push(verifyWithCli(join(serve.home, 'exports', `all-${round}.dwcpaudit`)))
      }
      for (const verification of await Promise.all(verifications)) {
        expect(verification.out).toMatch(/^OK: verified 1,?0\d\d,?\d{3} entries/)
        expect(verification.code).toBe(0)
      }
      expect(readdirSync(join(serve.home, 'exports')).filter((f) => f.endsWith('.partial'))).toEqual([])
    } finally {
      db.close()
      socket.close()
      for (let round = 1; round <= 5; round++) rmSync(join(serve.home, 'exports', `all-${round}.dwcpaudit`), { force: true })
    }
  }, 900_000)
})

function verifyWithCli(file: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [launcher, 'audit', 'verify', file], { env: { ...process.env, DWCP_HOME: mkdtempSync(join(tmpdir(), 'dwcp-auditor-')) } })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.once('exit', (code) => resolve({ code, out }))
  })
}
