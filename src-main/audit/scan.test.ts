import { describe, expect, it } from 'vitest'
import { Store } from '../store'
import { tempHome } from '../testing/home'
import { AuditService } from './index'
import { scanRange } from './scan'

// The fast pass trusts SQLite to write each entry's canonical text; it must agree byte for byte with
// canonical.ts for every text a user can type, or honest logs would fall back to the slow pass.
describe('scanning ranges of the live log', () => {
  const awkward = [
    'plain',
    'quote " and back\\slash',
    'controls \u0000\u0001\b\f\n\r\t\u001f\u007f',
    'unicode é 漢字 😀 \u2028 \u2029 \ufeff \u00a0',
    '</script><b>',
    'lone \ud800 surrogate \udfff',
    '',
  ]

  it('builds the same subtrees from SQLite-rendered text as from canonical.ts', () => {
    const home = tempHome()
    const store = Store.open({ home })
    const audit = new AuditService(store, { product: 'test' })
    for (const [i, text] of awkward.entries()) {
      audit.record({ actor: `user ${text}`, action: `act ${text}`, target: text, intentId: i % 2 ? `intent ${text}` : null, safety: i % 3 ? 'critical' : null, outcome: `ok ${text}`, details: { text, n: i, nested: { list: [text, 1.5, null, true] } } })
    }
    const size = audit.log.size
    const exact = scanRange(store.db, { from: 0, to: size, cuts: [3, size] })
    const fromSql = scanRange(store.db, { from: 0, to: size, cuts: [3, size], textFromSql: true })
    expect(exact.problem).toBeUndefined()
    expect(fromSql).toEqual(exact)
    expect(Buffer.concat(exact.cuts[1][1].map((n) => n.hash)).length).toBeGreaterThan(0)
    audit.close()
    store.close()
  })

  it('does not vouch for a range with a missing entry, and the exact pass names it', () => {
    const store = Store.open({ home: tempHome() })
    const audit = new AuditService(store, { product: 'test' })
    for (let i = 0; i < 20; i++) audit.record({ actor: 'user', action: 'deploy', target: `web-${i}`, outcome: 'ok' })
    store.db.exec('DROP TRIGGER audit_entries_no_delete; DELETE FROM audit_entries WHERE seq = 11')
    expect(scanRange(store.db, { from: 8, to: 16, cuts: [], textFromSql: true }).problem).toBeDefined()
    expect(scanRange(store.db, { from: 8, to: 16, cuts: [] }).problem?.message).toMatch(/entry #11 is missing/)
    audit.close()
    store.close()
  })

})
