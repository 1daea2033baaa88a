/**
 * The head-signing timer against long audit work: an export that straddles ticks while entries keep
 * arriving, and a tick that cannot sign. Out of a timer, a throw would end the process (the console).
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Store } from '../store'
import { tempHome } from '../testing/home'
import { AuditService } from './index'

function open(home: string, headIntervalMs: number) {
  const store = Store.open({ home })
  const warnings: string[] = []
  const audit = new AuditService(store, { product: 'test', headIntervalMs, logger: { warn: (_fields: unknown, message?: string) => void warnings.push(String(message)) } as never })
  return { store, audit, warnings, close: () => (audit.close(), store.close()) }
}

function fill(audit: AuditService, n: number) {
  for (let from = 0; from < n; from += 5000) {
    audit.log.appendBatch(Array.from({ length: Math.min(5000, n - from) }, (_, i) => ({ actor: 'user', action: i % 10 ? 'deploy' : 'scale', target: `web-${from + i}`, outcome: 'ok', details: { region: 'eu-central-1', replicas: i % 9 } })))
  }
}

describe('the head-signing timer', () => {
  it('signs heads while a long export streams, with entries still arriving, and the export verifies', async () => {
    const home = tempHome()
    const { audit, warnings, close } = open(home, 100)
    fill(audit, 60_000)
    const ticking = setInterval(() => audit.record({ actor: 'user', action: 'scale', target: 'web', outcome: 'ok' }), 20)
    const before = audit.log.heads().length
    const file = join(home, 'all.dwcpaudit')
    let result
    try {
      // Exports of both kinds: the filtered one computes an inclusion proof per entry as it goes.
      result = await audit.export(file, {})
      await audit.export(join(home, 'some.dwcpaudit'), { action: 'scale' })
    } finally {
      clearInterval(ticking)
    }
    const intervalHeads = audit.log.heads().slice(before).filter((h) => h.reason === 'interval')
    expect(intervalHeads.length).toBeGreaterThan(0)
    expect(warnings).toEqual([])
    expect(result.entries).toBeGreaterThanOrEqual(60_000)
    expect((await audit.openBundle(file)).verdict).toMatchObject({ ok: true })
    expect((await audit.openBundle(join(home, 'some.dwcpaudit'))).verdict).toMatchObject({ ok: true })
    expect(readdirSync(home).filter((f) => f.endsWith('.partial'))).toEqual([])
    close()
  })

  it('skips a tick that cannot sign, says so, and signs on the next one', async () => {
    const home = tempHome()
    const { store, audit, warnings, close } = open(home, 100)
    fill(audit, 3000)
    audit.sign()
    audit.record({ actor: 'user', action: 'scale', target: 'web', outcome: 'ok' })
    // Another process holds the write lock for longer than SQLite waits: the tick cannot sign.
    const other = Store.open({ home })
    other.db.pragma('busy_timeout = 0')
    store.db.pragma('busy_timeout = 0')
    other.db.exec('BEGIN IMMEDIATE')
    await expect.poll(() => warnings.length, { timeout: 20_000 }).toBeGreaterThan(0)
    expect(warnings[0]).toMatch(/interval head was not signed .*the next one will cover its entries/)
    other.db.exec('COMMIT')
    other.close()
    await expect.poll(() => audit.log.latestHead()?.size, { timeout: 20_000 }).toBe(audit.log.size)
    expect(audit.log.latestHead()?.reason).toBe('interval')
    close()
  })
})
