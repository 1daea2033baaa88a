// Build the bundled WebAssembly workloads: native/wasm/*.wat → resources/wasm/*.wasm (with wabt), and
// native/components/<name>/<name>.js + .wit → resources/wasm/<name>.component.wasm (componentize-js).
// The outputs are committed, so the app runs without either tool; this rebuilds whichever is stale.
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

const components = join(root, 'native', 'components')

export async function buildComponents({ force = false } = {}) {
  const stale = readdirSync(components).filter((name) => {
    const out = join(outputs, `${name}.component.wasm`)
    const sources = [join(components, name, `${name}.js`), join(components, name, `${name}.wit`)]
    return force || !existsSync(out) || sources.some((f) => statSync(out).mtimeMs < statSync(f).mtimeMs)
  })
  if (stale.length === 0) return []
  let componentize
  try {
    ;({ componentize } = await import('@bytecodealliance/componentize-js'))
  } catch {
    console.warn('componentize-js is not installed (npm install --no-save @bytecodealliance/componentize-js): keeping the committed resources/wasm/*.component.wasm')
    return []
  }
  for (const name of stale) {
    const source = readFileSync(join(components, name, `${name}.js`), 'utf8')
    const wit = readFileSync(join(components, name, `${name}.wit`), 'utf8')
    // No WASI at all: the built-in component is pure functions, so it imports nothing from the host.
    const { component } = await componentize(source, wit, { disableFeatures: ['random', 'stdio', 'clocks', 'http', 'fetch-event'] })
    writeFileSync(join(outputs, `${name}.component.wasm`), component)
  }
  return stale
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force')
  const built = [...(await buildWasm({ force })), ...(await buildComponents({ force }))]
  console.log(built.length ? `built ${built.join(', ')}` : 'resources/wasm is up to date')
}
