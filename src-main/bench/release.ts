/**
 * `npm run bench -- release`: what a flag check costs on a hot path (every wasm.execute asks), the
 * rollout bucketing alone, and a rollback to v3 with its verified backup (no agents connected).
 * Baseline: the same decision from a plain in-memory Map with the same hash, no database freshness check.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditService } from '../audit'
import { ReleaseManager, rolloutBucket } from '../release'
import { Store } from '../store'

const CALLS = 200_000

function perCallNs(fn: (i: number) => unknown, calls = CALLS): number {
  for (let i = 0; i < 10_000; i++) fn(i)
  const start = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) fn(i)
  return Number(process.hrtime.bigint() - start) / calls
}

export async function releaseBench(): Promise<Record<string, unknown>> {
  const home = mkdtempSync(join(tmpdir(), 'dwcp-bench-release-'))
  try {
    const store = Store.open({ home })
    const audit = new AuditService(store, { product: 'bench' })
    const release = new ReleaseManager({ store, home, record: (e) => audit.record(e) })
    const users = Array.from({ length: 1024 }, (_, i) => `user-${i}`)
    const isEnabledNs = perCallNs((i) => release.isEnabled('enhanced_compression', users[i & 1023]))
    const plain = new Map(release.flags.list().map((f) => [f.name, f]))
    const baselineNs = perCallNs((i) => {
      const f = plain.get('enhanced_compression')!
      return f.enabled && rolloutBucket(f.name, users[i & 1023]!) <= f.rollout
    })
    const bucketNs = perCallNs((i) => rolloutBucket('enhanced_compression', users[i & 1023]!))
    const started = performance.now()
    await release.rollback.toV3('bench')
    const rollbackMs = performance.now() - started
    const forwardStarted = performance.now()
    await release.rollback.toV4('bench')
    const rollforwardMs = performance.now() - forwardStarted
    release.close()
    audit.close()
    store.close()
    const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d
    return {
      is_enabled_ns: round(isEnabledNs),
      baseline_map_lookup_ns: round(baselineNs),
      is_enabled_vs_baseline_ratio: round(isEnabledNs / baselineNs, 2),
      bucket_ns: round(bucketNs),
      rollback_v3_ms: round(rollbackMs),
      rollforward_v4_ms: round(rollforwardMs),
    }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}
