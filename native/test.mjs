// `npm test`: build, then every unit/integration test, then the end-to-end tests in Chromium, and one
// closing line `tests: N passed, N failed, N skipped` over all of them.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
const reports = mkdtempSync(join(tmpdir(), 'dwcp-test-reports-'))
const extra = process.argv.slice(2)

function run(label, command, args) {
  console.log(`\n=== ${label}`)
  return spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env }).status ?? 1
}

function suite(label, config, report) {
  const args = [vitest, 'run', ...config, '--reporter=default', '--reporter=json', `--outputFile.json=${join(reports, report)}`, ...extra]
  return run(label, process.execPath, args)
}

let failed = run('build', process.execPath, [join(root, 'native', 'build.mjs')]) !== 0
if (!failed) {
  failed = suite('unit and integration tests', ['--dir', 'src-main'], 'unit.json') !== 0 || failed
  failed = suite('end-to-end tests (Chromium)', ['--config', 'e2e/vitest.config.ts'], 'e2e.json') !== 0 || failed
}

const totals = { passed: 0, failed: 0, skipped: 0 }
for (const report of ['unit.json', 'e2e.json']) {
  const file = join(reports, report)
  if (!existsSync(file)) continue
  const r = JSON.parse(readFileSync(file, 'utf8'))
  totals.passed += r.numPassedTests
  totals.failed += r.numFailedTests
  totals.skipped += r.numPendingTests + r.numTodoTests
}
rmSync(reports, { recursive: true, force: true })
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exit(failed || totals.failed > 0 ? 1 : 0)
