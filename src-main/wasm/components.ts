/**
 * WebAssembly components (WASI preview 2): transpiled once by jco into a core module plus JavaScript
 * bindings, kept on disk by the component's SHA-256, then instantiated in a tenant worker like any
 * other workload (see the 'component' requests in tenant-worker.ts).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { WasmError } from './errors'

export interface PreparedComponent {
  dir: string
  imports: string[]
  exports: string[]
  transpileMs: number
}

/**
 * Interfaces a component may import, served by @bytecodealliance/preview2-shim: clocks, randomness,
 * its environment, standard streams, exit. Files, sockets and HTTP are not offered — a component
 * reaches nothing of the host that way.
 */
const OFFERED = /^wasi:(cli\/(environment|exit|stdin|stdout|stderr|terminal-[a-z-]+)|io\/(error|poll|streams)|clocks\/(monotonic-clock|wall-clock)|random\/(random|insecure|insecure-seed))(@[\d.]+)?$/

const MANIFEST = 'component.json'

export class ComponentStore {
  constructor(private readonly root: string) {}

  async prepare(bytes: Uint8Array, sha256: string): Promise<PreparedComponent> {
    const dir = join(this.root, sha256)
    if (existsSync(join(dir, MANIFEST))) return { dir, ...JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) }
    const started = performance.now()
    const { transpileBytes } = await import('@bytecodealliance/jco-transpile')
    let result: { files: Record<string, Uint8Array>; imports: string[]; exports: [string, string][] }
    try {
      result = (await transpileBytes(bytes, { name: 'component', instantiation: 'sync' } as never)) as typeof result
    } catch (err) {
      throw new WasmError('bad_module', `the component cannot be transpiled: ${(err as Error).message}`)
    }
    const refused = result.imports.find((i) => !OFFERED.test(i))
    if (refused) throw new WasmError('import', `the component imports ${refused}, which the pool does not offer: components may use clocks, randomness, their environment and standard streams, not files, sockets or HTTP`)
    const info = { imports: result.imports, exports: result.exports.filter(([, kind]) => kind === 'function').map(([name]) => name), transpileMs: Math.round(performance.now() - started) }
    // Written beside, then renamed into place: a crash never leaves a half-written component behind.
    const staging = `${dir}.${process.pid}.tmp`
    rmSync(staging, { recursive: true, force: true })
    mkdirSync(staging, { recursive: true })
    for (const [name, content] of Object.entries(result.files)) writeFileSync(join(staging, name.replace(/\.js$/, '.mjs')), content)
    writeFileSync(join(staging, MANIFEST), JSON.stringify(info))
    rmSync(dir, { recursive: true, force: true })
    renameSync(staging, dir)
    return { dir, ...info }
  }
}
