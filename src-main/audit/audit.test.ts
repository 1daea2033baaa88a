import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { createBackup, restoreBackup, Store } from '../store'
import { tempHome } from '../testing/home'
import { canonicalEntry } from './canonical'
import { AuditService, verifyBundleFile, verifyInclusion } from './index'
import { leafHash } from './merkle'

function open(home: string, verify?: { workers: number; rangeLevel: number }) {
  const store = Store.open({ home })
  const audit = new AuditService(store, { product: 'test', ...(verify ? { verify } : {}) })
  return { store, audit, close: () => (audit.close(), store.close()) }
}

function fill(audit: AuditService, n: number, from = 0) {
  audit.log.appendBatch(
    Array.from({ length: n }, (_, i) => ({
      actor: i % 3 === 0 ? 'user' : `agent:edge-${(i % 5) + 1}`,
      action: ['deploy', 'scale', 'backup.create', 'destroy'][i % 4],
      target: `web-${from + i}`,
      safety: (['caution', 'caution', 'caution', 'critical'] as const)[i % 4],
      outcome: i % 7 === 0 ? 'failed' : 'ok',
      details: { replicas: i % 9, region: i % 2 ? 'us-west-2' : 'eu-central-1' },
    })),
  )
}

/** An attacker with the database file: triggers are no obstacle to them. */
function tamper(store: Store, sql: string, ...params: unknown[]) {
  store.db.exec('DROP TRIGGER IF EXISTS audit_entries_no_update; DROP TRIGGER IF EXISTS audit_entries_no_delete')
  store.db.prepare(sql).run(...params)
}

describe('audit log', () => {
  it('appends entries with sequence, redacts secrets, and refuses updates and deletes', () => {
    const { store, audit, close } = open(tempHome())
    const e = audit.record({ actor: 'user', action: 'settings.update', target: 'anthropic', outcome: 'ok', details: { apiKey: 'sk-ant-abcdef0123456789', note: 'used Bearer abcdefghijklmnopqrstuvwxyz012345 here' } })
    expect(e.seq).toBe(0)
    expect(e.details).toBe('{"apiKey":"[redacted]","note":"used [redacted] here"}')
    expect(() => store.db.prepare("UPDATE audit_entries SET outcome = 'ok'").run()).toThrow(/append-only/)
    expect(() => store.db.prepare('DELETE FROM audit_entries').run()).toThrow(/append-only/)
    expect(() => audit.record({ actor: '', action: 'x', outcome: 'ok' })).toThrow(/needs a actor/)
    expect(() => audit.record({ actor: 'user', action: 'x', outcome: 'ok', safety: 'harmless' as never })).toThrow(/unknown safety/)
    close()
  })

  it('gives inclusion proofs that verify against the signed head, and resumes its tree after a restart', () => {
    const home = tempHome()
    let { audit, close } = open(home)
    fill(audit, 1000)
    const head = audit.sign()
    const proof = audit.proof(777)
    expect(proof.head?.id).toBe(head.id)
    verifyInclusion(777, proof.treeSize, Buffer.from(proof.leafHash, 'base64'), proof.path.map((p) => Buffer.from(p, 'base64')), Buffer.from(head.rootHash, 'base64'))
    const root = audit.log.rootHash()
    close()
    ;({ audit, close } = open(home))
    expect(audit.log.rootHash().equals(root)).toBe(true)
    fill(audit, 10)
    expect(audit.log.size).toBe(1010)
    return audit.verify().then((r) => {
      expect(r).toMatchObject({ ok: true, entries: 1010 })
      close()
    })
  })

  it('searches full text and filters', () => {
    const { audit, close } = open(tempHome())
    fill(audit, 200)
    const hits = audit.log.query({ text: 'us-west' }, 500)
    expect(hits.length).toBe(100)
    expect(hits[0].seq).toBeGreaterThan(hits[1].seq)
    expect(audit.log.query({ text: 'web-17' }, 20).map((e) => e.target)).toContain('web-17')
    expect(audit.log.query({ safety: 'critical', outcome: 'failed' }, 500).every((e) => e.safety === 'critical' && e.outcome === 'failed')).toBe(true)
    expect(audit.log.query({ text: 'AND OR "(' }, 10)).toEqual([])
    close()
  })

  // Each case twice: scanned in this thread, and across two worker threads in 8-entry ranges, so that
  // problems land inside ranges, on their edges, and in ranges other than the first.
  describe.each([
    ['in this thread', undefined],
    ['across worker threads', { workers: 2, rangeLevel: 3 }],
  ] as const)('verification names what was tampered with (%s)', (_mode, verify) => {
    const cases: [string, (store: Store) => void, RegExp, number | null][] = [
      ['a changed byte', (s) => tamper(s, "UPDATE audit_entries SET target = 'web-4l' WHERE seq = 41"), /entry #41 was changed/, 41],
      ['a deleted row', (s) => tamper(s, 'DELETE FROM audit_entries WHERE seq = 13'), /entry #13 is missing/, 13],
      ['swapped rows', (s) => {
        tamper(s, "UPDATE audit_entries SET target = 'swap' WHERE seq = 7")
        tamper(s, "UPDATE audit_entries SET target = 'web-7' WHERE seq = 8")
      }, /entry #7 was changed/, 7],
      ['a row rewritten with its leaf hash', (s) => {
        const row = s.db.prepare('SELECT * FROM audit_entries WHERE seq = 20').get() as Record<string, string>
        const forged: Record<string, string> = { ...row, outcome: "ok", details: "{\"forged\":true}" }
        const leaf = leafHash(Buffer.from(canonicalEntry({ seq: 20, time: forged.time as string, actor: forged.actor as string, action: forged.action as string, target: forged.target as string, intentId: null, safety: forged.safety as never, outcome: 'ok', details: '{"forged":true}' })))
        tamper(s, "UPDATE audit_entries SET outcome = 'ok', details = '{\"forged\":true}', leaf_hash = ? WHERE seq = 20", leaf)
      }, /entry #20 was changed: the entries up to #99 no longer match signed head/, 20],
      ['the last entries removed', (s) => tamper(s, 'DELETE FROM audit_entries WHERE seq >= 95'), /covers 100 entries but the log holds only 95/, 95],
    ]
    for (const [name, attack, message, seq] of cases) {
      it(name, async () => {
        const { store, audit, close } = open(tempHome(), verify)
        fill(audit, 100)
        audit.sign()
        expect((await audit.verify()).ok).toBe(true)
        attack(store)
        const report = await audit.verify()
        expect(report.ok).toBe(false)
        expect(report.problem?.message).toMatch(message)
        expect(report.problem?.seq).toBe(seq)
        close()
      })
    }

    it('a swapped head', async () => {
      const { store, audit, close } = open(tempHome(), verify)
      fill(audit, 10)
      audit.sign()
      fill(audit, 10)
      audit.sign()
      const [a, b] = store.db.prepare('SELECT id, note FROM audit_heads ORDER BY id').all() as { id: number; note: string }[]
      store.db.prepare('UPDATE audit_heads SET note = ? WHERE id = ?').run(b.note, a.id)
      store.db.prepare('UPDATE audit_heads SET note = ? WHERE id = ?').run(a.note, b.id)
      const report = await audit.verify()
      expect(report.ok).toBe(false)
      expect(report.problem?.message).toMatch(/signed head #\d+ was altered/)
      close()
    })
  })

  it('keeps its history when an older backup is restored, and records the restore', async () => {
    const { store, audit, close } = open(tempHome())
    fill(audit, 5)
    const backup = await createBackup(store)
    fill(audit, 5)
    await restoreBackup(store, backup.file)
    expect(audit.log.size).toBe(10)
    audit.record({ actor: 'user', action: 'backup.restore', target: backup.file, outcome: 'ok' })
    expect((await audit.verify()).ok).toBe(true)
    close()
  })
})

describe('export bundles', () => {
  function rewrite(file: string, edit: (lines: string[]) => string[]) {
    const lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n')
    writeFileSync(file, gzipSync(edit(lines).join('\n') + '\n'))
  }

  it('verify offline, complete or filtered, and say whose key signed them', async () => {
    const home = tempHome()
    const { audit, close } = open(home)
    fill(audit, 500)
    const all = await audit.export(join(home, 'all.dwcpaudit'), {})
    expect(all).toMatchObject({ entries: 500, complete: true })
    const some = await audit.export(join(home, 'critical.dwcpaudit'), { safety: 'critical' })
    expect(some).toMatchObject({ entries: 125, complete: false })
    for (const file of [all.file, some.file]) {
      const review = await audit.openBundle(file)
      expect(review.verdict).toMatchObject({ ok: true })
      expect(review.fromThisInstallation).toBe(true)
      expect(review.keyFingerprint).toBe(audit.log.keyFingerprint)
    }
    const other = open(tempHome())
    const foreign = await other.audit.openBundle(all.file)
    expect(foreign.verdict.ok).toBe(true)
    expect(foreign.fromThisInstallation).toBe(false)
    other.close()
    close()
  })

  const attacks: [string, (lines: string[]) => string[], RegExp][] = [
    ['a changed byte in an entry', (l) => l.map((x) => (x.includes('"web-123"') ? x.replace('"web-123"', '"web-124"') : x)), /entry #123|not those the manifest/],
    ['a deleted entry', (l) => l.filter((x) => !x.includes('"web-200"')), /#200|removed/],
    ['reordered entries', (l) => {
      const i = l.findIndex((x) => x.includes('"web-300"'))
      ;[l[i], l[i + 1]] = [l[i + 1], l[i]]
      return l
    }, /#30[01]|reordered/],
    ['a cut-off end', (l) => l.slice(0, -1), /no signed manifest|cut short/],
  ]
  for (const complete of [true, false]) {
    for (const [name, edit, message] of attacks) {
      it(`fail on ${name} (${complete ? 'complete' : 'filtered'} bundle)`, async () => {
        const home = tempHome()
        const { audit, close } = open(home)
        fill(audit, 400)
        const file = join(home, 'b.dwcpaudit')
        await audit.export(file, complete ? {} : { outcome: 'ok' })
        expect((await verifyBundleFile(file)).verdict.ok).toBe(true)
        rewrite(file, edit)
        const review = await verifyBundleFile(file)
        expect(review.verdict.ok).toBe(false)
        expect(review.verdict.problem?.message).toMatch(message)
        close()
      })
    }
  }

  it('rejects a file that is not a bundle with a clear message', async () => {
    const home = tempHome()
    writeFileSync(join(home, 'x.dwcpaudit'), 'hello')
    expect((await verifyBundleFile(join(home, 'x.dwcpaudit'))).verdict.problem?.message).toMatch(/cannot be read|not a DWCP audit bundle/)
  })
})

describe('crash safety', () => {
  it('keeps every entry whose append returned when the process is killed with SIGKILL', async () => {
    const home = tempHome()
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'testing', 'append-loop.ts'), home], { stdio: ['ignore', 'pipe', 'inherit'] })
    let acknowledged = -1
    let buffer = ''
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        buffer += d
        const lines = buffer.split('\n')
        buffer = lines.pop()!
        for (const line of lines) acknowledged = Math.max(acknowledged, Number(line))
        if (acknowledged >= 3000) resolve()
      })
    })
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const { audit, close } = open(home)
    expect(audit.log.size).toBeGreaterThan(acknowledged)
    expect(audit.log.entry(acknowledged)?.target).toBe(`item-${acknowledged}`)
    expect(await audit.verify()).toMatchObject({ ok: true })
    close()
  }, 120_000)
})

describe('search combined with filters', () => {
  it('finds exactly the entries that match both the words and every filter', () => {
    const store = Store.open({ home: tempHome() })
    const audit = new AuditService(store, { product: 'test' })
    fill(audit, 400)
    audit.record({ actor: '---', action: 'deploy', target: 'odd-actor', outcome: 'ok', details: { region: 'us-west-2' } })
    const all = audit.log.query({}, 1000)
    const cases = [
      { text: 'us-west-2', safety: 'critical' as const },
      { text: 'deploy', safety: 'critical' as const }, // never together: empty, and fast
      { text: 'us-west-2', actor: 'agent:edge-2', outcome: 'failed' },
      { text: 'backup', action: 'backup.create' },
      { text: 'odd', actor: '---' },
    ]
    for (const filter of cases) {
      const words = filter.text.split(/\s+/)
      const expected = all.filter((e) => words.every((w) => `${e.action} ${e.target} ${e.details}`.includes(w)) && (['actor', 'action', 'safety', 'outcome'] as const).every((k) => !(k in filter) || e[k] === (filter as unknown as Record<string, string>)[k]))
      expect(audit.log.query(filter, 1000).map((e) => e.seq), JSON.stringify(filter)).toEqual(expected.map((e) => e.seq))
    }
    expect(audit.log.query({ text: 'deploy', safety: 'critical' }, 10)).toEqual([])
    expect(audit.log.query({ text: 'odd', actor: '---' }, 10).map((e) => e.target)).toEqual(['odd-actor'])
    audit.close()
    store.close()
  })
})

describe('time ranges', () => {
  it('select by time through sequence bounds, and times never go backwards', () => {
    const store = Store.open({ home: tempHome() })
    const audit = new AuditService(store, { product: 'test' })
    fill(audit, 50)
    const all = audit.log.query({}, 100)
    const times = [...all].reverse().map((e) => e.time)
    expect([...times].sort()).toEqual(times)
    const mid = all[25].time
    const expectFrom = all.filter((e) => e.time >= mid).map((e) => e.seq)
    const expectTo = all.filter((e) => e.time <= mid).map((e) => e.seq)
    expect(audit.log.query({ from: mid }, 100).map((e) => e.seq)).toEqual(expectFrom)
    expect(audit.log.query({ to: mid }, 100).map((e) => e.seq)).toEqual(expectTo)
    expect(audit.log.query({ from: mid, to: mid, text: 'web' }, 100).map((e) => e.seq)).toEqual(all.filter((e) => e.time === mid).map((e) => e.seq))
    expect(audit.log.query({ from: '2999-01-01T00:00:00.000Z' }, 100)).toEqual([])
    expect(audit.log.query({ to: '2000-01-01T00:00:00.000Z' }, 100)).toEqual([])
    audit.close()
    store.close()
  })
})

describe('several processes on one log', () => {
  it('continues from entries another connection appended (the app and a dwcp command side by side)', async () => {
    const home = tempHome()
    const app = open(home)
    const cli = open(home)
    fill(app.audit, 5)
    fill(cli.audit, 3, 100)
    const next = app.audit.record({ actor: 'user', action: 'settings.update', target: 'theme', outcome: 'ok' })
    expect(next.seq).toBe(8)
    expect(app.audit.status().size).toBe(9)
    cli.audit.sign()
    expect(app.audit.sign().size).toBe(9)
    expect(await app.audit.verify()).toMatchObject({ ok: true, entries: 9 })
    cli.close()
    app.close()
  })
})
