/** Random input against the release manager's parsers: nothing throws unexpectedly, nothing unsafe is kept. */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AuditService } from '../audit'
import { Store } from '../store'
import { tempHome } from '../testing/home'
import { latestBenchGoals } from './readiness'
import { ReleaseManager } from '.'

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

const ALPHABET = ['a', 'Z', '0', ' ', '@', '.', ':', '-', '_', '\u0000', 'é', '😀', '"', '\n', '{', '}']
function randomString(next: () => number, max = 80): string {
  return Array.from({ length: Math.floor(next() * max) }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('')
}

describe('fuzz', () => {
  it('reads any bench results file without throwing, using only well-formed lines', () => {
    const home = tempHome()
    const next = rng(7)
    for (let round = 0; round < 200; round++) {
      const file = join(home, `b${round}.jsonl`)
      const good = JSON.stringify({ bench: 'wasm', warm_p50_us: 10 })
      writeFileSync(file, Buffer.concat([randomBytes(Math.floor(next() * 400)), Buffer.from(`\n${good}\n`), Buffer.from(randomString(next))]))
      const results = latestBenchGoals(file)
      expect(results.every((r) => typeof r.value === 'number' && r.bench in { wasm: 1, audit: 1 })).toBe(true)
    }
  })

  it('never stores a telemetry value with a space, an @ or more than 64 characters', () => {
    const home = tempHome()
    const store = Store.open({ home })
    const audit = new AuditService(store, { product: 'test' })
    const release = new ReleaseManager({ store, home, record: (e) => audit.record(e) })
    const next = rng(11)
    for (let i = 0; i < 500; i++) {
      const properties: Record<string, unknown> = {}
      for (let k = 0; k < 4; k++) properties[randomString(next, 12) || 'k'] = next() < 0.5 ? randomString(next) : next() < 0.5 ? next() * 1e6 : { nested: true }
      try {
        release.telemetry.record(next() < 0.9 ? 'fuzz.event' : randomString(next, 20), properties, randomString(next, 30) || undefined)
      } catch (err) {
        expect((err as Error).message).toMatch(/is not an event name/)
      }
    }
    const rows = store.db.prepare('SELECT properties FROM release_telemetry').pluck().all() as string[]
    expect(rows.length).toBeGreaterThan(300)
    for (const row of rows) {
      for (const value of Object.values(JSON.parse(row) as Record<string, unknown>)) {
        if (typeof value === 'string') expect(value).toMatch(/^[A-Za-z0-9_.:-]{0,64}$/)
        else expect(['number', 'boolean']).toContain(typeof value)
      }
    }
    release.close()
    audit.close()
    store.close()
  })
})
