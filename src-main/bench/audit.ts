/**
 * Audit log at one million entries: durable append rate, full verification, inclusion proofs,
 * full-text search, a complete export and the export's offline verification. Baseline from the same
 * run: the same rows inserted into a plain SQLite table with no hashing, no tree and no index, in the
 * same batches.
 *
 * Verification and export run the way they do in the console: entries keep arriving and the
 * head-signing timer keeps ticking (every second here, not every minute, so every long step
 * straddles several ticks). The figures say how many heads the timer signed meanwhile; none would
 * mean the timer could not sign, or died.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditService, type AppendInput } from '../audit'
import { openSqlite, Store } from '../store'
import { percentile, round } from './stats'

const N = Number(process.env.DWCP_BENCH_AUDIT_N ?? 1_000_000)
const BATCH = 1000
const WORDS = ['deploy', 'scale', 'rollback', 'migrate', 'backup', 'destroy', 'optimize', 'diagnose']
const REGIONS = ['us-west-2', 'us-east-1', 'eu-central-1', 'ap-south-1']
const HEAD_INTERVAL_MS = 1000

function row(i: number): AppendInput {
  return {
    actor: i % 5 === 0 ? 'user' : `agent:edge-${i % 97}`,
    action: WORDS[i % WORDS.length],
    target: `svc-${i % 5003}`,
    safety: (['safe', 'caution', 'dangerous', 'critical'] as const)[i % 4],
    outcome: i % 11 === 0 ? 'failed' : 'ok',
    // Regions vary independently of safety levels, as they would in a real log.
    details: { replicas: i % 13, region: REGIONS[Math.floor(i / 7) % 4], memoryMB: 512 * (1 + (i % 16)) },
  }
}

function plainInsertRate(dir: string): number {
  const db = openSqlite(join(dir, 'plain.db'))
  db.exec('CREATE TABLE t (time TEXT, actor TEXT, action TEXT, target TEXT, safety TEXT, outcome TEXT, details TEXT)')
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)')
  const n = Math.min(N, 200_000)
  const started = performance.now()
  for (let b = 0; b < n; b += BATCH) {
    db.transaction(() => {
      for (let i = b; i < b + BATCH; i++) {
        const r = row(i)
        insert.run(new Date().toISOString(), r.actor, r.action, r.target ?? '', r.safety ?? null, r.outcome, JSON.stringify(r.details))
      }
    })()
  }
  const rate = n / ((performance.now() - started) / 1000)
  db.close()
  return rate
}

/**
 * Run a long step while the console goes on: an entry every 50 ms, and the head-signing timer
 * ticking. Returns the step's duration and how many heads the timer signed during it; fails when a
 * step that lasted two intervals saw none signed (the timer could not sign, or died). A short step (a
 * small N) waits for one tick after it instead.
 */
async function whileConsoleWorks<T>(audit: AuditService, step: string, run: () => Promise<T>): Promise<{ result: T; seconds: number; headsSigned: number }> {
  const before = audit.log.heads().length
  const signedSince = () => audit.log.heads().slice(before).filter((h) => h.reason === 'interval').length
  const working = setInterval(() => audit.record({ actor: 'user', action: 'scale', target: 'svc-1', outcome: 'ok' }), 50)
  const started = performance.now()
  try {
    const result = await run()
    const seconds = (performance.now() - started) / 1000
    const headsSigned = signedSince()
    if (headsSigned === 0 && seconds * 1000 > 2 * HEAD_INTERVAL_MS) throw new Error(`the head-signing timer signed nothing during the ${step} (${round(seconds, 1)} s)`)
    for (let waited = 0; signedSince() === 0 && waited < 3 * HEAD_INTERVAL_MS; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100))
    if (signedSince() === 0) throw new Error(`the head-signing timer signed nothing during or after the ${step}`)
    return { result, seconds, headsSigned }
  } finally {
    clearInterval(working)
  }
}

export async function auditBench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'dwcp-bench-audit-'))
  try {
    const store = Store.open({ home: dir })
    const audit = new AuditService(store, { product: 'bench', headIntervalMs: HEAD_INTERVAL_MS })

    let started = performance.now()
    for (let b = 0; b < N; b += BATCH) audit.log.appendBatch(Array.from({ length: Math.min(BATCH, N - b) }, (_, i) => row(b + i)))
    const appendSeconds = (performance.now() - started) / 1000
    audit.sign('bench')

    const { result: report, seconds: verifySeconds, headsSigned: verifyTicks } = await whileConsoleWorks(audit, 'verify', () => audit.verify())
    if (!report.ok) throw new Error(`verification failed: ${report.problem?.message}`)

    const proofTimes: number[] = []
    for (let i = 0; i < 10_000; i++) {
      const seq = Math.floor(Math.random() * N)
      const t = performance.now()
      audit.proof(seq)
      proofTimes.push(performance.now() - t)
    }

    const queryTimes: number[] = []
    for (let i = 0; i < 300; i++) {
      const text = i % 3 === 0 ? `${WORDS[i % WORDS.length]} ${REGIONS[i % 4]}` : i % 3 === 1 ? `svc-${(i * 37) % 5003}` : REGIONS[i % 4]
      const t = performance.now()
      audit.log.query({ text, ...(i % 2 ? { safety: 'critical' as const } : {}) }, 100)
      queryTimes.push(performance.now() - t)
    }

    const { result: exported, seconds: exportSeconds, headsSigned: exportTicks } = await whileConsoleWorks(audit, 'export', () => audit.export(join(dir, 'all.dwcpaudit'), {}))
    const { result: review, seconds: bundleVerifySeconds, headsSigned: bundleTicks } = await whileConsoleWorks(audit, 'bundle verification', () => audit.openBundle(exported.file))
    if (!review.verdict.ok) throw new Error(`the exported bundle does not verify: ${review.verdict.problem?.message}`)

    const appendRate = N / appendSeconds
    const baseline = plainInsertRate(dir)
    audit.close()
    store.close()
    return {
      entries: N,
      append_per_s: Math.round(appendRate),
      verify_1m_s: round(verifySeconds * (1_000_000 / N), 3),
      inclusion_proof_ms_p99: round(percentile(proofTimes, 99), 4),
      inclusion_proof_ms_p50: round(percentile(proofTimes, 50), 4),
      query_fts_ms_p99: round(percentile(queryTimes, 99), 3),
      query_fts_ms_p50: round(percentile(queryTimes, 50), 3),
      export_1m_s: round(exportSeconds * (1_000_000 / N), 3),
      export_mb: round(exported.bytes / 1024 / 1024, 1),
      verify_bundle_1m_s: round(bundleVerifySeconds * (1_000_000 / N), 3),
      head_interval_ms: HEAD_INTERVAL_MS,
      heads_signed_during_verify: verifyTicks,
      heads_signed_during_export: exportTicks,
      heads_signed_during_bundle_verify: bundleTicks,
      plain_insert_per_s: Math.round(baseline),
      append_vs_plain_insert_ratio: round(appendRate / baseline, 3),
      rss_mb: Math.round(process.memoryUsage().rss / 1024 / 1024),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
