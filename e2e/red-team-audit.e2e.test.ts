/**
 * Red team: hostile audit bundles against a real `dwcp serve` and the real `dwcp` CLI. Opening a
 * bundle from someone else is a documented workflow, so the file is the attacker's: a 2 MB file
 * that inflates to one 2 GiB line, and a genuine export with one genuine signed head copied 4,000
 * times (4,000 signature checks of 13 ms each). What a user must see: a clear one-line refusal, the
 * CLI exiting 1 quickly, and the console answering /v4/health throughout.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { dwcp, launcher, startServe, type ServeProcess } from './support/server'
import { healthBar, probeHealth, stillRunning } from './support/red-team'

/** Each attack is repeated, so the health probes beside it are many enough for a p99. */
const ROUNDS = 5

let serve: ServeProcess
let socket: WebSocket
let nextId = 1
let exportsDir: string
let bomb: Buffer
let flood: Buffer

interface WsAnswer {
  type: 'result' | 'error'
  result?: { verdict: { ok: boolean } }
  error?: { code: string; message: string }
}

function call(method: string, input: unknown): Promise<WsAnswer> {
  const id = nextId++
  return new Promise((resolve) => {
    const onMessage = (raw: WebSocket.RawData) => {
      const message = JSON.parse(raw.toString())
      if (message.id !== id) return
      socket.off('message', onMessage)
      resolve(message)
    }
    socket.on('message', onMessage)
    socket.send(JSON.stringify({ id, method, input }))
  })
}

/** 2 MB of gzip members: a header's first bytes, then 2,048 MiB of one string with no newline. */
function oneLineOf2GiB(): Buffer {
  const mebibyte = gzipSync('a'.repeat(1024 * 1024), { level: 9 })
  return Buffer.concat([gzipSync('{"type":"header","format":"dwcp-audit-bundle","version":1,"pad":"'), ...Array(2048).fill(mebibyte)])
}

/** A genuine export with its first signed head copied 4,000 times after it. */
function headFlood(genuine: Buffer): Buffer {
  const lines = gunzipSync(genuine).toString('utf8').trimEnd().split('\n')
  const at = lines.findIndex((l) => l.startsWith('{"type":"head"'))
  expect(at).toBeGreaterThan(0)
  return gzipSync([...lines.slice(0, at + 1), ...Array(4000).fill(lines[at]), ...lines.slice(at + 1)].join('\n') + '\n')
}

beforeAll(async () => {
  serve = await startServe()
  const token = dwcp(serve.home, 'token').trim()
  socket = new WebSocket(new URL('/v4/stream', serve.url).href.replace(/^http/, 'ws'), { headers: { authorization: `Bearer ${token}` } })
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  // A genuine export with a few signed heads, as a colleague would send one.
  for (let i = 0; i < 3; i++) expect((await call('audit.sign', {})).type).toBe('result')
  expect(await call('audit.export', { file: 'genuine.dwcpaudit' })).toMatchObject({ type: 'result' })
  exportsDir = join(serve.home, 'exports')
  const genuine = readFileSync(join(exportsDir, 'genuine.dwcpaudit'))
  bomb = oneLineOf2GiB()
  flood = headFlood(genuine)
  expect(bomb.length).toBeLessThan(3 * 1024 * 1024)
  writeFileSync(join(exportsDir, 'bomb.dwcpaudit'), bomb)
  writeFileSync(join(exportsDir, 'flood.dwcpaudit'), flood)
  // The genuine bundle opens, and a refusal is answered once: both paths are loaded before the probes
  // start, so they measure the console under attack rather than its start-up.
  expect((await call('audit.openBundle', { file: 'genuine.dwcpaudit' })).result?.verdict.ok).toBe(true)
  expect((await call('audit.openBundle', { contentBase64: gzipSync('{"type":"header","format":"dwcp-audit-bundle","version":1,"origin":"o","keyFingerprint":"k","exportedAt":"t","treeSize":0,"complete":true,"filter":{}}' + '\n'.repeat(2000)).toString('base64') })).type).toBe('error')
}, 180_000)

afterAll(async () => {
  socket?.close()
  await serve?.stop()
})

const attacks = [
  { name: 'a 2 MB bundle that inflates to one 2 GiB line', file: 'bomb.dwcpaudit', bytes: () => bomb, refusal: /^line 1 is longer than 1 MiB: not an audit bundle from this product$/ },
  { name: '4,000 copies of one genuine signed head', file: 'flood.dwcpaudit', bytes: () => flood, refusal: /^signed head #\d+ is listed more than once: not an audit bundle from this product$/ },
]

describe('hostile audit bundles', () => {
  for (const attack of attacks) {
    for (const via of ['exports/', 'upload'] as const) {
      it(`${attack.name}: opened from the Audit view (${via}), refused clearly while the console keeps answering`, async () => {
        const open = () => (via === 'upload' ? call('audit.openBundle', { contentBase64: attack.bytes().toString('base64'), name: attack.file }) : call('audit.openBundle', { file: attack.file }))
        const bar = await healthBar(serve.url)
        const probe = probeHealth(serve.url)
        const answers: WsAnswer[] = []
        try {
          for (let round = 0; round < ROUNDS; round++) answers.push(await open())
        } finally {
          const health = await probe.stop()
          expect(stillRunning(serve.child)).toBe(true)
          expect(health.failures).toBe(0)
          expect(health.p99Ms).toBeLessThan(bar)
        }
        for (const answer of answers) {
          expect(answer.type).toBe('error')
          expect(answer.error?.code).toBe('bad_request')
          expect(answer.error?.message).toMatch(attack.refusal)
        }
        // The console still works: a genuine bundle opens and verifies.
        expect((await call('audit.openBundle', { file: 'genuine.dwcpaudit' })).result?.verdict.ok).toBe(true)
      })
    }

    it(`${attack.name}: \`dwcp audit verify FILE\` exits 1 with one clear line, quickly`, () => {
      const started = performance.now()
      const run = spawnSync(process.execPath, [launcher, 'audit', 'verify', join(exportsDir, attack.file)], { env: { ...process.env, DWCP_HOME: serve.home }, encoding: 'utf8', timeout: 120_000 })
      const seconds = (performance.now() - started) / 1000
      expect(run.status).toBe(1)
      const said = run.stderr.trim().split('\n')
      expect(said).toHaveLength(1)
      expect(said[0].replace(/^dwcp: /, '')).toMatch(attack.refusal)
      expect(run.stderr).not.toMatch(/\n\s+at /)
      expect(seconds).toBeLessThan(10)
    })
  }
})
