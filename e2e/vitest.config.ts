import { defineConfig } from 'vitest/config'

// End-to-end: the built UI in real Chromium against a real `dwcp serve`. One file at a time, since
// each starts a server and a browser on a 2-core machine.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
})
