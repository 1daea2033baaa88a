/**
 * `npm run bench -- <name>`: runs one benchmark and prints one JSON line of figures, with ratios
 * against a baseline measured in the same run. Engines add their benchmarks to BENCHES.
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { defaultHome } from '../paths'
import { BENCH_RESULTS_FILE } from '../release'
import { auditBench } from './audit'
import { intentBench } from './intent'
import { placementBench } from './placement'
import { protocolBench } from './protocol'
import { releaseBench } from './release'
import { startupBench } from './startup'
import { wasmBench } from './wasm'

const BENCHES: Record<string, () => Promise<Record<string, unknown>>> = {
  startup: startupBench,
  audit: auditBench,
  wasm: wasmBench,
  release: releaseBench,
  placement: placementBench,
  protocol: protocolBench,
  intent: intentBench,
}

async function main(): Promise<void> {
  const names = process.argv.slice(2)
  if (names.length === 0 || names.some((n) => !(n in BENCHES))) {
    process.stderr.write(`usage: npm run bench -- <name>...   (benchmarks: ${Object.keys(BENCHES).join(', ')})\n`)
    process.exit(2)
  }
  for (const name of names) {
    const figures = await BENCHES[name]()
    const line = JSON.stringify({ bench: name, ...figures, at: new Date().toISOString() }) + '\n'
    process.stdout.write(line)
    // Kept in the data folder, where the release manager's readiness score reads the latest run of each.
    mkdirSync(defaultHome(), { recursive: true })
    appendFileSync(join(defaultHome(), BENCH_RESULTS_FILE), line)
  }
}

await main()
