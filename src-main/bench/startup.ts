/**
 * Start-up: how long `dwcp serve` takes from spawn to listening (host cold start, fresh data folder),
 * and how long the browser UI takes to first paint and to be usable. Baselines from the same run: a
 * bare `node` process, and the server's plain HTML sign-in page.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchChromium } from '../../e2e/support/browser'
import { startServe } from '../../e2e/support/server'
import { cliLauncher } from '../paths'
import { percentile, round } from './stats'

const RUNS = 7

function timeUntilFirstLine(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] })
    child.stdout.once('data', () => {
      resolve(performance.now() - started)
      child.kill('SIGTERM')
    })
    child.once('error', reject)
  })
}

async function hostColdStarts(): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const home = mkdtempSync(join(tmpdir(), 'dwcp-bench-'))
    times.push(await timeUntilFirstLine([cliLauncher(), 'serve', '--port', '0'], { ...process.env, DWCP_HOME: home }))
    rmSync(home, { recursive: true, force: true })
  }
  return times
}

async function bareNodeStarts(): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) times.push(await timeUntilFirstLine(['-e', 'console.log(1)'], process.env))
  return times
}

async function paints(): Promise<{ uiFirstPaint: number[]; uiReady: number[]; plainPaint: number[] }> {
  const serve = await startServe()
  const browser = await launchChromium()
  const result = { uiFirstPaint: [] as number[], uiReady: [] as number[], plainPaint: [] as number[] }
  try {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(serve.loginUrl)
    await page.getByTestId('nav-chat').waitFor()
    const fcp = () => page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN)
    for (let i = 0; i < RUNS; i++) {
      await page.goto(`${serve.url}login`)
      await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0)
      result.plainPaint.push(await fcp())
      await page.goto(serve.url)
      await page.getByTestId('nav-chat').waitFor()
      await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0)
      result.uiFirstPaint.push(await fcp())
      result.uiReady.push(await page.evaluate(() => performance.now()))
    }
  } finally {
    await browser.close()
    await serve.stop()
  }
  return result
}

export async function startupBench(): Promise<Record<string, unknown>> {
  const bare = await bareNodeStarts()
  const host = await hostColdStarts()
  const ui = await paints()
  const hostP50 = percentile(host, 50)
  const bareP50 = percentile(bare, 50)
  const uiPaint = percentile(ui.uiFirstPaint, 50)
  const plain = percentile(ui.plainPaint, 50)
  return {
    runs: RUNS,
    host_cold_start_ms_p50: round(hostP50),
    host_cold_start_ms_max: round(Math.max(...host)),
    bare_node_start_ms_p50: round(bareP50),
    host_vs_bare_node_ratio: round(hostP50 / bareP50),
    ui_first_paint_ms_p50: round(uiPaint),
    ui_ready_ms_p50: round(percentile(ui.uiReady, 50)),
    plain_page_paint_ms_p50: round(plain),
    ui_vs_plain_page_paint_ratio: round(uiPaint / plain),
  }
}
