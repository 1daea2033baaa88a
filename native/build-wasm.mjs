// Build the bundled WebAssembly workloads: native/wasm/*.wat → resources/wasm/*.wasm (with wabt).
// The outputs are committed, so the app runs without wabt; this rebuilds whichever is stale.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const sources = join(root, 'native', 'wasm')
const outputs = join(root, 'resources', 'wasm')

export async function buildWasm({ force = false } = {}) {
  const stale = readdirSync(sources)
    .filter((f) => f.endsWith('.wat'))
    .filter((f) => {
      const out = join(outputs, f.replace(/\.wat$/, '.wasm'))
      return force || !existsSync(out) || statSync(out).mtimeMs < statSync(join(sources, f)).mtimeMs
    })
  if (stale.length === 0) return []
  let wabt
  try {
    wabt = await (await import('wabt')).default()
  } catch {
    console.warn('wabt is not installed: keeping the committed resources/wasm/*.wasm')
    return []
  }
  for (const file of stale) {
    const module = wabt.parseWat(file, readFileSync(join(sources, file), 'utf8'), { bulk_memory: true })
    try {
      module.validate()
      writeFileSync(join(outputs, file.replace(/\.wat$/, '.wasm')), Buffer.from(module.toBinary({ log: false }).buffer))
    } finally {
      module.destroy()
    }
  }
  return stale
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildWasm({ force: process.argv.includes('--force') })
  console.log(built.length ? `built ${built.join(', ')}` : 'resources/wasm is up to date')
}
