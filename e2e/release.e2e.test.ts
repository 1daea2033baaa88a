/**
 * The Release view as the owner meets it: flags with a rollout slider, adopters, the feedback queue
 * with its clocks, the telemetry switch, the readiness breakdown, and rollback to v3 behind a
 * confirmation — against a real `dwcp serve`, with data entered through the real `dwcp` CLI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SHOTS, switchTheme } from './support/app'
import { launchChromium } from './support/browser'
import { dwcp, startServe, type ServeProcess } from './support/server'


let serve: ServeProcess
let browser: Browser
let page: Page


beforeAll(async () => {
  // Seeded before the server starts: the audit log of a running host assumes it is the only writer
  // (another process appending entries makes its next append fail), so the CLI only reads below.
  const home = mkdtempSync(join(tmpdir(), 'dwcp-e2e-release-'))
  const code = dwcp(home, 'adopters', 'invite', '--level', 'full').trim()
  const ada = JSON.parse(dwcp(home, 'adopters', 'register', '--name', 'Ada Lovelace', '--email', 'ada@example.org', '--org', 'Analytical Edge', '--code', code, '--json')) as { id: string }
  dwcp(home, 'adopters', 'register', '--name', 'Grace Hopper', '--email', 'grace@example.org', '--org', 'Fleet Navy')
  dwcp(home, 'feedback', 'submit', '--adopter', ada.id, '--type', 'bug', '--severity', 'critical', '--category', 'protocol', '--title', 'v4 handshake drops frames under load', '--description', 'Three agents, 2k calls/s.')
  dwcp(home, 'feedback', 'submit', '--type', 'question', '--severity', 'low', '--category', 'docs', '--title', 'How do access levels map to flags?')
  writeFileSync(join(home, 'bench-results.jsonl'), `${JSON.stringify({ bench: 'wasm', warm_p50_us: 23.2, warm_p99_us: 99.7, cold_p50_ms: 2.21, cold_p99_ms: 7.7, rss_mb: 656 })}\n`)
  serve = await startServe({ home })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1360, height: 1000 } })
  page.on('pageerror', (err) => console.error('page error:', err))
  await page.goto(serve.loginUrl)
  await page.getByTestId('nav-release').click()
  await page.getByTestId('release-view').waitFor()
})

afterAll(async () => {
  await browser?.close()
  await serve?.stop?.()
})

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 50 })
const flagsJson = () => JSON.parse(dwcp(serve.home, 'flags', 'list', '--json')) as { name: string; enabled: boolean; rollout: number }[]

describe('the Release view', () => {
  it('shows the seeded flags, adopters, the feedback queue with its clocks and the readiness breakdown', async () => {
    await eventually(() => page.getByTestId('release-flag-row').count()).toBe(5)
    await eventually(() => page.getByTestId('release-adopter-row').count()).toBe(2)
    expect(await page.getByTestId('release-feedback-item').count()).toBe(2)
    expect(await page.getByTestId('release-feedback').innerText()).toMatch(/fix 4[78] h \d\d m left/)
    expect(await page.getByTestId('release-part-critical_bugs').innerText()).toMatch(/15 \/ 30[\s\S]*1 open/)
    expect(await page.getByTestId('release-part-benchmarks').innerText()).toMatch(/5 of 5 goals met/)
    expect(await page.getByTestId('release-score').innerText()).toMatch(/^\d+ \/ 100$/)
  })

  it('moves a rollout with the slider from the keyboard and saves it when released', async () => {
    const slider = page.locator('[data-flag="enhanced_compression"]').getByTestId('release-flag-rollout')
    await slider.focus()
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight')
    await eventually(() => flagsJson().find((f) => f.name === 'enhanced_compression')?.rollout).toBe(55)
    await page.locator('[data-flag="quantum_crypto"]').getByTestId('release-flag-enabled').click()
    await eventually(() => flagsJson().find((f) => f.name === 'quantum_crypto')?.enabled).toBe(false)
  })

  it('turns telemetry off: the status says nothing is stored', async () => {
    await page.getByTestId('release-telemetry-toggle').click()
    await eventually(() => page.getByTestId('release-telemetry').innerText()).toMatch(/nothing is stored/)
    const status = JSON.parse(dwcp(serve.home, 'release', 'status', '--json')) as { telemetry: { optedOut: boolean; rows: number } }
    expect(status.telemetry).toMatchObject({ optedOut: true, rows: 0 })
  })

  for (const theme of ['light', 'dark'] as const) {
    it(`looks right in the ${theme} theme`, async () => {
      await switchTheme(page, theme)
      await page.getByTestId('nav-release').click()
      await eventually(() => page.getByTestId('release-flag-row').count()).toBe(5)
      await page.screenshot({ path: `${SHOTS}release-${theme}.png`, fullPage: true })
    })
  }

  it('rolls back to v3 behind a confirmation, then forward again', async () => {
    await page.getByTestId('release-rollback').click()
    const dialog = page.getByTestId('confirm-dialog')
    await dialog.waitFor()
    expect(await dialog.innerText()).toMatch(/wasm_runtime/)
    await page.screenshot({ path: `${SHOTS}release-rollback-confirm.png` })
    await page.getByTestId('confirm-cancel').click()
    expect(flagsJson().find((f) => f.name === 'wasm_runtime')?.enabled).toBe(true)

    await page.getByTestId('release-rollback').click()
    await page.getByTestId('confirm-ok').click()
    await eventually(() => page.getByTestId('release-protocol').innerText()).toMatch(/v3 \(pinned\)/)
    const flags = flagsJson()
    expect(flags.filter((f) => f.enabled).map((f) => f.name)).toEqual([])
    expect(dwcp(serve.home, 'audit', 'list', '--action', 'release.rollback', '--json')).toMatch(/"outcome":"ok"/)

    await page.getByTestId('release-rollforward').click()
    await page.getByTestId('confirm-ok').click()
    await eventually(() => page.getByTestId('release-protocol').innerText()).toMatch(/^v4/)
    // The four that were on come back; quantum_crypto, turned off by hand above, stays off.
    expect(flagsJson().filter((f) => f.enabled).map((f) => f.name).sort()).toEqual(['ai_llm_integration', 'edge_cloud_continuum', 'enhanced_compression', 'wasm_runtime'])
  })
})
