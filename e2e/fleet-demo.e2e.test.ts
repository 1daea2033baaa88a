/**
 * First run: the Fleet view of a fresh console has no devices, and offers a demo fleet. One click
 * starts real local agent processes, which connect over DWCP v4 and become the fleet.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openApp, SHOTS, type OpenApp } from './support/app'

let app: OpenApp
let page: Page

beforeAll(async () => {
  app = await openApp('fleet')
  page = app.page
})

// The console stops its demo agents as it stops.
afterAll(() => app?.close())

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 200 })

describe('the demo fleet', () => {
  it('is offered on an empty fleet, and one click brings six live agents', async () => {
    const offer = page.getByTestId('fleet-demo-offer')
    await offer.waitFor()
    expect(await offer.innerText()).toMatch(/No devices yet/)
    await page.getByTestId('fleet-demo-start').click()
    await eventually(() => page.getByTestId('fleet-summary').innerText()).toMatch(/6\s*devices\s*6\s*online/)
    expect(await offer.count()).toBe(0)
    await page.locator('.view-body').evaluate((el) => el.scrollTo(0, 0))
    await page.screenshot({ path: `${SHOTS}fleet-demo-light.png` })
    // The same agents are live links in the Protocol view.
    await page.getByTestId('nav-protocol').click()
    await eventually(() => page.locator('.protocol-table tbody tr').count()).toBe(6)
    expect(await page.getByTestId('protocol-peers').innerText()).toMatch(/demo-edge-001/)
  })
})
