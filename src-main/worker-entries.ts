/**
 * Worker-thread entry points by name. The build bundles each into out/main/<name>.js (see
 * electron.vite.config.ts); under tests and tsx they run from their TypeScript source.
 * No imports here: the build configuration reads this file.
 */
export const WORKER_ENTRIES = {
  'audit-scan-worker': 'src-main/audit/scan-worker.ts',
  'audit-bundle-worker': 'src-main/audit/bundle-worker.ts',
  'wasm-tenant-worker': 'src-main/wasm/tenant-worker.ts',
} as const

export type WorkerName = keyof typeof WORKER_ENTRIES
