import { defineConfig } from 'vitest/config'

// End-to-end: the built UI in real Chromium against a real `dwcp serve`. One file at a time, since
// each starts a server and a browser on a 2-core machine. Time limits are generous backstops against a
// hang, never budgets: a busy machine can be many times slower than a quiet one.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
})
