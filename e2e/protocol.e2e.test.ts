/**
 * The Protocol view as an operator meets it: a real `dwcp serve` listening for agents, two real
 * `dwcp agent` processes (one on encrypted v4, one on v3 once the operator allows it behind a
 * confirmation), a WASM call run on an agent from the keyboard, a frame decoded, and an agent
 * that dies leaving the table.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openApp, SHOTS, switchTheme, type OpenApp } from './support/app'
import { dwcp, launcher, type ServeProcess } from './support/server'


let app: OpenApp
let serve: ServeProcess
let page: Page
const agents: { child: ChildProcess; home: string }[] = []

/** A `dwcp agent` in a data folder of its own, as on a separate edge device. */
function startAgent(token: string, name: string, extra: string[] = []): ChildProcess {
  const home = mkdtempSync(join(tmpdir(), `dwcp-e2e-${name}-`))
  const args = [launcher, 'agent', '--console', serve.agentAddress, '--token', token, '--name', name, '--region', 'eu-west', '--cpu', '2', '--memory-mb', '2048', ...extra]
  const child = spawn(process.execPath, args, { env: { ...process.env, DWCP_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (d) => (err += d))
  child.once('exit', (code, signal) => {
    if (code) console.error(`${name} exited with ${code}: ${err}`)
    void signal
  })
  agents.push({ child, home })
  return child
}

/** A REST call with the installation's API token, as a script beside the UI would make it. */
async function apiCall(path: string, body?: unknown): Promise<any> {
  const token = dwcp(serve.home, 'token').trim()
  const r = await fetch(new URL(path, serve.url), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return r.json()
}

beforeAll(async () => {
  app = await openApp('protocol')
  ;({ serve, page } = app)
})

afterAll(async () => {
  for (const a of agents) {
    if (a.child.exitCode === null && a.child.signalCode === null) {
      a.child.kill('SIGTERM')
      await new Promise((r) => a.child.once('exit', r))
    }
    rmSync(a.home, { recursive: true, force: true })
  }
  await app?.close()
})

const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 60_000, interval: 100 })

describe('the Protocol view', () => {
  it('shows the console identity and where agents connect, with nobody connected yet', async () => {
    await eventually(() => page.getByTestId('protocol-listening').innerText()).toBe(serve.agentAddress)
    expect(await page.getByTestId('protocol-fingerprint').innerText()).toMatch(/^[0-9a-f]{16}…$/)
    expect(await page.getByTestId('protocol-versions').innerText()).toMatch(/4\.0\.0/)
    expect(await page.getByTestId('protocol-no-peers').innerText()).toMatch(/No agent is connected/)
  })

  it('issues a token whose agent command connects a real agent over encrypted v4', async () => {
    await page.getByTestId('protocol-new-token').click()
    const command = await page.getByTestId('protocol-token-command').innerText()
    expect(command).toContain(`dwcp agent --console ${serve.agentAddress} --token `)
    const token = /--token (\S+)/.exec(command)![1]
    startAgent(token, 'edge-001')
    const row = page.getByTestId('protocol-peer-edge-001')
    await eventually(() => row.count()).toBe(1)
    const text = await row.innerText()
    expect(text).toMatch(/DWCP 4\.0\.0/)
    expect(text).toMatch(/encrypted/)
    expect(text).not.toMatch(/UNENCRYPTED/)
    expect(text).toMatch(/X25519MLKEM768/)
    // RTT comes from heartbeats over the link: a figure in milliseconds once the first pong is back.
    await eventually(() => row.getByTestId('protocol-rtt').innerText()).toMatch(/^\d+\.\d\d ms$/)
    await eventually(() => page.getByTestId('protocol-enrolled').innerText()).toMatch(/edge-001/)
  })

  it('refuses v3 until the operator allows it behind a confirmation, then marks the link UNENCRYPTED', async () => {
    const { token } = await apiCall('/v4/protocol/token', {})
    await page.getByTestId('protocol-allow-v3').click()
    const dialog = page.getByRole('dialog')
    await dialog.waitFor()
    expect(await dialog.innerText()).toMatch(/no encryption/)
    await dialog.getByRole('button', { name: 'Allow unencrypted v3' }).click()
    await eventually(() => page.getByTestId('protocol-allow-v3').isChecked()).toBe(true)
    startAgent(token, 'edge-v3', ['--protocol', 'v3'])
    const row = page.getByTestId('protocol-peer-edge-v3')
    await eventually(() => row.count()).toBe(1)
    expect(await row.innerText()).toMatch(/DWCP 3\.0\.0/)
    expect(await row.getByTestId('protocol-unencrypted').innerText()).toMatch(/UNENCRYPTED/)
  })

  it('runs a WASM function on an agent from the keyboard and shows the answer', async () => {
    await page.locator('.protocol-table').focus()
    await page.keyboard.press('Enter')
    await eventually(() => page.getByTestId('protocol-call-result').innerText()).toMatch(/^edge-\S+: trivial\.add\(2, 3\) = 5 · round trip [\d.]+ ms$/)
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    const agent = (await page.locator('.protocol-table tr[aria-selected="true"] strong').innerText()).trim()
    await eventually(() => page.getByTestId('protocol-call-result').innerText()).toMatch(new RegExp(`^${agent}: trivial\\.add\\(2, 3\\) = 5`))
  })

  it('decodes a frame, and says plainly what is wrong with a broken one', async () => {
    await page.getByTestId('protocol-hex').fill('0000000000000000000000006740cce7')
    await page.getByTestId('protocol-kind').selectOption('v3-federation')
    await page.getByTestId('protocol-decode-button').click()
    await eventually(() => page.getByTestId('protocol-decoded').innerText()).toMatch(/payload_hex/)
    await page.getByTestId('protocol-hex').fill('44574350ff')
    await page.getByTestId('protocol-kind').selectOption('v4')
    await page.getByTestId('protocol-hex').press('Control+Enter')
    await eventually(() => page.getByTestId('protocol-decode-error').innerText()).toMatch(/\S/)
  })

  for (const theme of ['light', 'dark'] as const) {
    it(`looks right in the ${theme} theme`, async () => {
      await switchTheme(page, theme)
      await page.getByTestId('nav-protocol').click()
      await eventually(() => page.locator('.protocol-table tbody tr').count()).toBe(2)
      await page.getByTestId('protocol-new-token').click()
      await page.locator('.view-body').evaluate((el) => el.scrollTo(0, 0))
      await page.screenshot({ path: `${SHOTS}protocol-${theme}.png`, fullPage: true })
    })
  }

  it('drops an agent that dies from the table at once', async () => {
    const v4 = agents[0]!.child
    v4.kill('SIGKILL')
    await eventually(() => page.getByTestId('protocol-peer-edge-001').count()).toBe(0)
    expect(await page.getByTestId('protocol-peer-edge-v3').count()).toBe(1)
    // Enrolment outlives the connection: it may come back with its key, no new token.
    expect(await page.getByTestId('protocol-enrolled').innerText()).toMatch(/edge-001/)
  })
})
