/**
 * The Fleet view as an operator meets it: thousands of devices in a virtualized table and on a map
 * drawn locally, deployments with their replicas, and a placement explained — against a real
 * `dwcp serve`, with devices and deployments entered through the real `dwcp` CLI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { syntheticFleet } from '../src-main/orchestrator/fleet'
import { SHOTS, switchTheme } from './support/app'
import { launchChromium } from './support/browser'
import { dwcp, startServe, type ServeProcess } from './support/server'

const DEVICES = 3000

let serve: ServeProcess
let browser: Browser
let page: Page
const requests: string[] = []


beforeAll(async () => {
  const home = mkdtempSync(join(tmpdir(), 'dwcp-e2e-fleet-'))
  const file = join(home, 'devices.json')
  writeFileSync(
    file,
    JSON.stringify(
      syntheticFleet(DEVICES, 21).map((d) => ({
        id: d.id, name: d.name, lat: d.lat, lon: d.lon, region: d.region, cluster: d.cluster, tier: d.tier, cpu: d.cpuMilli / 1000, memoryMb: d.memoryMb,
        gpus: d.gpus, gpuModel: d.gpuModel, bandwidthMbps: d.bandwidthMbps, slice: d.slice, costPerHour: d.costPerHour, rttMs: d.rttMs,
      })),
    ),
  )
  expect(dwcp(home, 'edge', 'register', '--file', file)).toBe(`registered ${DEVICES} devices\n`)
  dwcp(home, 'deploy', 'checkout', '--module', 'trivial', '--replicas', '3', '--memory', '1GB', '--region', 'eu-west', '--max-latency', '30', '--origin', '48.86,2.35', '--strategy', 'latency')
  dwcp(home, 'deploy', 'batch', '--module', 'hash', '--replicas', '4', '--memory', '4GB', '--strategy', 'cost', '--span-clusters')
  serve = await startServe({ home })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 } })
  page.on('pageerror', (err) => console.error('page error:', err))
  page.on('request', (r) => requests.push(r.url()))
  await page.goto(serve.loginUrl)
  await page.getByTestId('nav-fleet').click()
  await page.getByTestId('fleet-view').waitFor()
})

afterAll(async () => {
  await browser?.close()
  await serve?.stop?.()
})

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 50 })

describe('the Fleet view', () => {
  it('lists every device in a virtualized table and draws each on the map', async () => {
    await eventually(() => page.getByTestId('fleet-summary').innerText()).toMatch(new RegExp(`${DEVICES}\\s*devices`))
    const rows = await page.getByTestId('fleet-device-row').count()
    expect(rows).toBeGreaterThan(5)
    expect(rows).toBeLessThan(60) // only the rows in view are in the page
    expect(await page.locator('[data-testid="fleet-map"] circle.fleet-dot').count()).toBe(DEVICES)
    // Keyboard: the grid takes focus and arrows move the selection, scrolling as needed.
    await page.getByTestId('fleet-device-grid').focus()
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowDown')
    await eventually(() => page.locator('[data-testid="fleet-device-row"][aria-selected="true"]').getAttribute('data-device')).toBe('dev-000039')
    // Nothing was fetched from anywhere but this server (no map tiles).
    const origin = new URL(serve.url).origin
    expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'))).toEqual([])
  })

  it('shows deployments with their replicas and marks them on the map', async () => {
    await eventually(() => page.getByTestId('fleet-deployment').count()).toBe(2)
    const checkout = page.locator('[data-testid="fleet-deployment"][data-deployment="checkout"]')
    expect(await checkout.getByTestId('fleet-replica').count()).toBe(3)
    expect(await checkout.innerText()).toMatch(/lowest latency/)
    await checkout.locator('.fleet-deployment-head').click()
    await eventually(() => page.getByTestId('fleet-map-ring').count()).toBe(3)
  })

  it('explains a placement: device, latency estimate, score breakdown, reason', async () => {
    await page.getByTestId('fleet-place-origin').fill('35.68,139.69')
    await page.getByTestId('fleet-place-latency').fill('20')
    await page.getByTestId('fleet-place-strategy').selectOption('latency')
    await page.getByTestId('fleet-place-submit').click()
    await eventually(() => page.getByTestId('fleet-placed-replica').count()).toBe(2)
    const text = await page.getByTestId('fleet-placed').innerText()
    expect(text).toMatch(/lowest latency \([\d.]+ ms: [\d.]+ ms distance \+ [\d.]+ ms RTT\); latency budget 20 ms ≤ 50 ms, so edge/)
    expect(text).toMatch(/tyo-edge/)
    await page.getByTestId('fleet-place-latency').fill('0.5')
    await page.getByTestId('fleet-place-submit').click()
    await eventually(() => page.getByTestId('fleet-place-error').innerText()).toMatch(/no device fits: latency excluded the most devices/)
    await page.getByTestId('fleet-place-latency').fill('20')
    await page.getByTestId('fleet-place-submit').click()
    await eventually(() => page.getByTestId('fleet-placed-replica').count()).toBe(2)
  })

  for (const theme of ['light', 'dark'] as const) {
    it(`looks right in the ${theme} theme`, async () => {
      await switchTheme(page, theme)
      await page.getByTestId('nav-fleet').click()
      await eventually(() => page.getByTestId('fleet-deployment').count()).toBe(2)
      await page.locator('[data-testid="fleet-deployment"][data-deployment="checkout"] .fleet-deployment-head').click()
      await page.locator('.view-body').evaluate((el) => el.scrollTo(0, 0))
      await page.screenshot({ path: `${SHOTS}fleet-${theme}.png`, fullPage: true })
    })
  }
})
