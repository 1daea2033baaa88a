// Runs after `npm install` / `npm ci`: build out/ so that `npx dwcp` works straight away.
// Skipped where the dev dependencies are absent (an install with --omit=dev).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
if (!existsSync(`${root}/node_modules/electron-vite`)) process.exit(0)
await import('./build.mjs')
