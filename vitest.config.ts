import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

// Unit and integration tests (`npm run test:unit`, the first half of `npm test`). The end-to-end tests
// have their own config, e2e/vitest.config.ts.
//
// No test may fail because the machine is slow or busy: a newcomer's first `npm test` shares two cores
// with whatever else runs. Time limits are therefore generous backstops against a hang, not budgets;
// speed goals live in `npm run bench`.
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    dir: 'src-main',
    include: ['**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    // Many files spawn `dwcp serve` and agent processes and spend most of their time waiting on them,
    // so two files at a time finish sooner even on two cores, where vitest's default is one (a core
    // less than the machine has). More than that on two cores would only starve the CPU-heavy files
    // (property tests, fuzzing, Yosys) of each other.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
})
