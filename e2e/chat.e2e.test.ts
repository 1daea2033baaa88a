/**
 * The Chat view as an operator uses it, against a real `dwcp serve` with devices registered through
 * the real CLI: type a deploy, review the plan in the confirmation dialog, confirm from the keyboard,
 * watch it run, and find the replicas in the Fleet view; type a destroy, meet the typed-name dialog,
 * decline, and find the decline in the Audit view; recall a request with ↑; send commands to the
 * terminal. Screenshots are written to e2e/screenshots/ to be looked at.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAnthropicServer } from '../src-main/testing/anthropic-server'
import { openApp, SHOTS, switchTheme, type OpenApp } from './support/app'
import { dwcp } from './support/server'



const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 50 })

let app: OpenApp

beforeAll(async () => {
  const home = mkdtempSync(join(tmpdir(), 'dwcp-e2e-chat-'))
  for (const [name, lat, lon] of [['sfo-edge-1', 37.77, -122.42], ['sea-edge-1', 47.6, -122.33], ['pdx-edge-1', 45.52, -122.68], ['lax-edge-1', 34.05, -118.24]] as const) {
    dwcp(home, 'edge', 'register', '--name', name, '--lat', String(lat), '--lon', String(lon), '--region', 'us-west-2', '--cpu', '8', '--memory', '16GB', '--bandwidth', '1000', '--cost', '0.12')
  }
  app = await openApp('chat', { home })
})

afterAll(async () => {
  await app?.close()
})

describe('Chat view', () => {
  it('deploy: the intent card, the confirmation dialog with the plan, Enter to confirm, replicas in the Fleet view', async () => {
    const { page } = app
    await page.getByTestId('chat-empty').waitFor()
    expect(await page.getByTestId('chat-recogniser').innerText()).toMatch(/offline parser/)
    const input = page.getByTestId('chat-input')
    // Ctrl+1 lands in the request field, ready to type.
    await page.locator('body').press('Control+1')
    await eventually(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('chat-input')
    await input.fill('deploy 3 web servers with 2GB RAM in us-west-2')
    await input.press('Enter')
    const card = page.getByTestId('intent-card').last()
    await card.waitFor()
    expect(await card.getAttribute('data-type')).toBe('deploy')
    expect(await card.getByTestId('intent-safety').innerText()).toBe('caution')
    expect(await card.getByTestId('intent-params').innerText()).toMatch(/replicas\s*3[\s\S]*memory\s*2 GB[\s\S]*region\s*us-west-2/)
    expect(await card.getByTestId('intent-commands').innerText()).toContain('$ dwcp deploy web --module http --replicas 3 --memory 2048MB --region us-west-2')
    await page.screenshot({ path: `${SHOTS}chat-intent.png` })

    await card.getByTestId('intent-run').click()
    const dialog = page.getByTestId('intent-confirm-dialog')
    await dialog.waitFor()
    await eventually(() => dialog.getByTestId('dialog-steps').innerText()).toContain('Deploy web: 3 replicas of http')
    await page.screenshot({ path: `${SHOTS}chat-confirm.png` })
    await page.keyboard.press('Enter')
    await eventually(() => card.getByTestId('intent-execution').getAttribute('data-status')).toBe('done')
    expect(await card.getByTestId('intent-step').first().innerText()).toMatch(/web: \d\/3 replicas/)
    expect(await card.getByTestId('intent-message').innerText()).toBe('Done: 1 step carried out.')

    await page.getByTestId('nav-fleet').click()
    const web = page.locator('[data-testid="fleet-deployment"][data-deployment="web"]')
    await web.waitFor()
    await eventually(() => web.getByTestId('fleet-replica').count()).toBe(3)
    await page.getByTestId('nav-chat').click()
  })

  it('destroy: the typed-name dialog holds until the name is typed; Esc declines, and the decline is in the Audit view', async () => {
    const { page } = app
    const input = page.getByTestId('chat-input')
    await input.fill('destroy web')
    await input.press('Enter')
    const card = page.getByTestId('intent-card').last()
    await eventually(() => card.getAttribute('data-type')).toBe('destroy')
    expect(await card.getByTestId('intent-safety').innerText()).toBe('critical')
    await card.getByTestId('intent-run').click()
    const dialog = page.getByTestId('intent-typed-dialog')
    await dialog.waitFor()
    const typed = dialog.getByTestId('dialog-typed-name')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('dialog-typed-name')
    expect(await dialog.getByTestId('confirm-ok').isDisabled()).toBe(true)
    await typed.fill('wen')
    expect(await dialog.getByTestId('confirm-ok').isDisabled()).toBe(true)
    await eventually(() => dialog.innerText()).toMatch(/there is no backup: take a verified backup first/)
    await page.screenshot({ path: `${SHOTS}chat-typed-name.png` })
    await page.keyboard.press('Escape')
    await eventually(() => card.getByTestId('intent-execution').getAttribute('data-status')).toBe('declined')
    expect(await card.getByTestId('intent-message').innerText()).toBe('Declined: nothing was changed.')

    await page.getByTestId('nav-audit').click()
    await eventually(async () => (await page.getByTestId('audit-row').allInnerTexts()).join('\n')).toContain('intent.decline')
    await page.screenshot({ path: `${SHOTS}chat-audit-decline.png` })
    await page.getByTestId('nav-fleet').click()
    await page.locator('[data-testid="fleet-deployment"][data-deployment="web"]').waitFor()
    await page.getByTestId('nav-chat').click()
  })

  it('↑ recalls the last request; a read-only question runs without a dialog; Send to terminal types the commands at the prompt', async () => {
    const { page } = app
    const input = page.getByTestId('chat-input')
    await input.focus()
    await input.press('ArrowUp')
    expect(await input.inputValue()).toBe('destroy web')
    await input.press('ArrowUp')
    expect(await input.inputValue()).toBe('deploy 3 web servers with 2GB RAM in us-west-2')
    await input.press('Escape')
    expect(await input.inputValue()).toBe('')

    await input.fill('how is web doing?')
    await input.press('Enter')
    const card = page.getByTestId('intent-card').last()
    await eventually(() => card.getAttribute('data-safety')).toBe('safe')
    await card.getByTestId('intent-run').click()
    await eventually(() => card.getByTestId('intent-execution').getAttribute('data-status')).toBe('done')
    await page.screenshot({ path: `${SHOTS}chat-query.png` })

    await card.getByTestId('intent-send-terminal').click()
    await eventually(() => page.locator('main h1').first().innerText()).toBe('Terminal')
    await eventually(async () => (await page.locator('.xterm-rows:visible > div').allTextContents()).join('\n')).toContain('dwcp deployments web')

    // A reload keeps the conversation and ↑ recall; Clear empties it (the audit log keeps everything).
    await page.reload()
    await page.getByTestId('nav-chat').click()
    await eventually(() => page.getByTestId('intent-card').count()).toBe(3)
    await page.getByTestId('chat-input').press('ArrowUp')
    expect(await page.getByTestId('chat-input').inputValue()).toBe('how is web doing?')
    await page.getByTestId('chat-input').press('Escape')
    await page.getByTestId('chat-clear').click()
    await page.getByTestId('chat-empty').waitFor()
  })

  it('with Claude set up in Settings: its answer is marked, and a destroy it calls a query stays critical', async () => {
    const { page } = app
    const claude = await startAnthropicServer()
    try {
      await page.getByTestId('nav-settings').click()
      await page.getByTestId('api-key-input').fill('sk-ant-e2e-0000000000000000')
      await page.getByTestId('api-key-save').click()
      await eventually(() => page.getByTestId('api-key-status').innerText()).toMatch(/is stored/)
      await page.getByTestId('chat-setting-baseURL').fill(claude.baseURL)
      await page.getByTestId('chat-setting-maxRetries').fill('0')
      await page.getByTestId('chat-settings-save').click()
      await eventually(() => page.getByTestId('chat-setting-baseURL').inputValue()).toBe(claude.baseURL)

      await page.locator('body').press('Control+1')
      await eventually(() => page.getByTestId('chat-recogniser').innerText()).toMatch(/understood by Claude \(claude-haiku-4-5\)/)
      // The tool input streams in slowly enough to watch the answer form.
      claude.reply({ toolUse: { name: 'classify_intent', input: { type: 'query', parameters: { target: 'web' }, confidence: 0.97, safety: 'safe' } }, pieceDelayMs: 400 })
      const input = page.getByTestId('chat-input')
      await input.fill('wipe out the web deployment, it is only a read')
      await input.press('Enter')
      await eventually(() => page.getByTestId('chat-thinking').innerText()).toMatch(/Claude: query/)
      await page.screenshot({ path: `${SHOTS}chat-streaming.png` })
      const card = page.getByTestId('intent-card').last()
      await eventually(() => card.getAttribute('data-type')).toBe('destroy')
      expect(await card.getByTestId('intent-recogniser').innerText()).toBe('Claude')
      expect(await card.getByTestId('intent-safety').innerText()).toBe('critical')
      expect(await card.innerText()).toContain('Claude read this as query, the offline parser as destroy; the more dangerous reading is used')
      expect(await card.innerText()).toContain('Claude called this safe; the console’s rules say critical.')
      await page.screenshot({ path: `${SHOTS}chat-claude.png` })
      expect((claude.requests.at(-1)!.body as { tool_choice: unknown }).tool_choice).toEqual({ type: 'tool', name: 'classify_intent', disable_parallel_tool_use: true })
    } finally {
      await claude.close()
    }
  })

  it('looks right in the dark theme: cards of every safety level, the confirmation dialog, the Settings section', async () => {
    const { page } = app
    await switchTheme(page, 'dark')
    await page.getByTestId('chat-settings').scrollIntoViewIfNeeded()
    await page.screenshot({ path: `${SHOTS}chat-settings-dark.png` })
    await page.locator('body').press('Control+1')
    await page.getByTestId('chat-clear').click()
    for (const text of ['show me all deployments', 'scale web to 4', 'roll everything back to v3']) {
      await page.getByTestId('chat-input').fill(text)
      await page.getByTestId('chat-input').press('Enter')
      await eventually(() => page.getByTestId('intent-card').count()).toBe(['show me all deployments', 'scale web to 4', 'roll everything back to v3'].indexOf(text) + 1)
    }
    expect(await page.getByTestId('intent-safety').allInnerTexts()).toEqual(['safe', 'caution', 'dangerous'])
    await page.screenshot({ path: `${SHOTS}chat-dark-cards.png` })
    await page.getByTestId('intent-card').last().getByTestId('intent-run').click()
    await page.getByTestId('intent-confirm-dialog').waitFor()
    await page.screenshot({ path: `${SHOTS}chat-dark-dialog.png` })
    await page.keyboard.press('Escape')
    await eventually(() => page.getByTestId('intent-card').last().getByTestId('intent-execution').getAttribute('data-status')).toBe('declined')
  })
})
