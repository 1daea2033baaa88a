#!/usr/bin/env node
// The `dwcp` command: runs the CLI that `npm install` (or `npm run build`) bundled into out/main/.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const cli = new URL('../../out/main/cli.js', import.meta.url)
if (!existsSync(fileURLToPath(cli))) {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  console.error(`dwcp: the CLI is not built yet; run \`npm run build\` in ${root}`)
  process.exit(1)
}
await import(cli.href)
