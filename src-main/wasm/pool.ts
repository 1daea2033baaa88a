/**
 * The WASM pool: compiled modules cached by content, each tenant's instances in that tenant's own
 * worker threads (never shared with another tenant), limits on memory, time, instances and
 * concurrent calls, and the figures to show for it.
 */
import { createHash } from 'node:crypto'
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative, sep } from 'node:path'
import { binaryKind, capModule, checkLayout, checkModuleSize, DEFAULT_MODULE_LIMITS, engineHeapBytes, mib, PAGE_BYTES, readLayout, type ModuleLimits } from './binary'
import { builtinBytes, builtinWorkload } from './builtins'
import { ModuleCache, type CachedModule } from './cache'
import { ComponentStore } from './components'
import type { ModuleStore } from './module-store'
import { WasmError } from './errors'
import { WasmMetrics } from './metrics'
import { TenantWorker } from './tenant-worker-handle'

export type ModuleRef = { builtin: string } | { bytes: Uint8Array; name?: string } | { sha256: string }

export interface WasiOptions {
  args?: string[]
  env?: Record<string, string>
  /** Guest path → host directory. */
  preopens?: Record<string, string>
  /** Bytes for stdin, or 'inherit' (the CLI passes its own). */
  stdin?: Uint8Array | 'inherit'
  /** 'capture' returns stdout/stderr in the result; 'inherit' writes to this process's (the CLI). */
  output?: 'capture' | 'inherit'
}

export interface ExecuteRequest {
  module: ModuleRef
  /** Export to call. A WASI command without one runs its _start. */
  invoke?: string
  /** Numbers for core functions; components also take strings. */
  args?: (number | string)[]
  input?: Uint8Array
  wasi?: WasiOptions
  tenant?: string
  memoryMb?: number
  timeoutMs?: number
  /** A fresh instance for this call instead of the tenant's warm one. */
  fresh?: boolean
}

export interface ExecuteResult {
  tenant: string
  module: { sha256: string; name: string }
  mode: 'call' | 'bytes' | 'wasi'
  invoke: string
  values?: (number | string)[]
  output?: Uint8Array
  exitCode?: number
  stdout?: string
  stderr?: string
  cold: boolean
  durationUs: number
}

export interface WasmPoolOptions {
  /** Bound of the compiled-module cache, in module bytes (default 256 MiB). */
  cacheBytes?: number
  maxWorkersPerTenant?: number
  defaultMemoryMb?: number
  maxMemoryMb?: number
  defaultTimeoutMs?: number
  maxTimeoutMs?: number
  maxInstancesPerTenant?: number
  /** Instances held by all tenants together. */
  maxInstances?: number
  /** Worker threads of all tenants together; idle workers of the least recently used tenant make room. */
  maxWorkers?: number
  /**
   * What all instances together may hold in the engine's heap — tables (at their capped maximum),
   * globals, element segments — counted from what each module declares (memories are under memoryMb).
   */
  heapBudgetMb?: number
  maxConcurrentPerTenant?: number
  /** What one module may declare (module size, functions, tables, memories, globals, element segments). */
  moduleLimits?: Partial<ModuleLimits>
  /** Directory for captured WASI output (default: the system temp folder). */
  scratchDir?: string
  /** Where transpiled components are kept by content hash (default: <scratchDir>/components). */
  componentsDir?: string
  /** Where modules sent by value are kept, so they can be run (and sent to agents) by hash after a restart. */
  moduleStore?: ModuleStore
  metrics?: WasmMetrics
}

/** What a module may import: WASI preview 1, and nothing else of the host. */
const OFFERED_IMPORT_MODULES = new Set(['wasi_snapshot_preview1'])
const TENANT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024
const SYNC_COMPILE_BYTES = 4 * 1024 * 1024

interface Tenant {
  name: string
  workers: TenantWorker[]
  running: number
  calls: number
  failures: number
  lastUsed: number
}

export class WasmPool {
  readonly cache: ModuleCache
  readonly metrics: WasmMetrics
  private readonly tenants = new Map<string, Tenant>()
  /** Host directories preopened so far, by real path, with the tenant that owns each. */
  private readonly preopenOwners = new Map<string, string>()
  private readonly options: Required<Omit<WasmPoolOptions, 'metrics' | 'scratchDir' | 'componentsDir' | 'moduleLimits' | 'moduleStore'>> & { scratchDir: string }
  private readonly moduleLimits: ModuleLimits
  private readonly components: ComponentStore
  private readonly uploads: ModuleStore | undefined
  private closed = false

  constructor(options: WasmPoolOptions = {}) {
    this.options = {
      cacheBytes: options.cacheBytes ?? 256 * 1024 * 1024,
      maxWorkersPerTenant: options.maxWorkersPerTenant ?? 2,
      defaultMemoryMb: options.defaultMemoryMb ?? 64,
      maxMemoryMb: options.maxMemoryMb ?? 2048,
      defaultTimeoutMs: options.defaultTimeoutMs ?? 5_000,
      maxTimeoutMs: options.maxTimeoutMs ?? 600_000,
      maxInstancesPerTenant: options.maxInstancesPerTenant ?? 2_000,
      maxInstances: options.maxInstances ?? 10_000,
      maxWorkers: options.maxWorkers ?? 64,
      heapBudgetMb: options.heapBudgetMb ?? 1024,
      maxConcurrentPerTenant: options.maxConcurrentPerTenant ?? 64,
      scratchDir: options.scratchDir ?? tmpdir(),
    }
    this.moduleLimits = { ...DEFAULT_MODULE_LIMITS, ...options.moduleLimits }
    this.cache = new ModuleCache(this.options.cacheBytes)
    this.components = new ComponentStore(options.componentsDir ?? join(this.options.scratchDir, 'dwcp-components'))
    this.metrics = options.metrics ?? new WasmMetrics()
    this.uploads = options.moduleStore
  }

  async execute(request: ExecuteRequest): Promise<ExecuteResult> {
    const started = performance.now()
    const tenant = this.tenant(request.tenant ?? 'default')
    const capPages = this.capPages(request.memoryMb)
    const timeoutMs = this.timeout(request.timeoutMs)
    if (tenant.running >= this.options.maxConcurrentPerTenant) {
      throw new WasmError('limit', `tenant "${tenant.name}" already runs ${tenant.running} calls (the limit is ${this.options.maxConcurrentPerTenant})`)
    }
    tenant.running++
    tenant.lastUsed = Date.now()
    try {
      const { entry, compiled } = await this.compiled(request.module, capPages)
      const result = await this.run(tenant, entry, request, timeoutMs, compiled)
      const durationUs = Math.round((performance.now() - started) * 1000)
      tenant.calls++
      this.metrics.recordCall(result.cold, durationUs, 'ok')
      return { ...result, tenant: tenant.name, module: { sha256: entry.sha256, name: entry.name }, durationUs }
    } catch (err) {
      tenant.failures++
      this.metrics.recordCall(false, Math.round((performance.now() - started) * 1000), err instanceof WasmError ? err.kind : 'error')
      throw err
    } finally {
      tenant.running--
    }
  }

  /** Instantiate `instances` instances of a module in a tenant's workers ahead of calls. */
  async prewarm(module: ModuleRef, options: { tenant?: string; instances?: number; memoryMb?: number } = {}): Promise<{ tenant: string; instances: number; sha256: string }> {
    const tenant = this.tenant(options.tenant ?? 'default')
    const { entry } = await this.compiled(module, this.capPages(options.memoryMb))
    const wanted = options.instances ?? 1
    if (this.instancesOf(tenant) - this.instancesOfKey(tenant, entry.key) + wanted > this.options.maxInstancesPerTenant) {
      throw new WasmError('limit', `tenant "${tenant.name}" may hold at most ${this.options.maxInstancesPerTenant} instances`)
    }
    this.checkPoolInstances(wanted - this.instancesOfKey(tenant, entry.key), entry)
    // Spread over the tenant's workers.
    while (tenant.workers.filter((w) => w.alive).length < Math.min(this.options.maxWorkersPerTenant, wanted)) this.spawn(tenant)
    const workers = tenant.workers.filter((w) => w.alive)
    await Promise.all(
      workers.map(async (worker, i) => {
        const share = Math.floor(wanted / workers.length) + (i < wanted % workers.length ? 1 : 0)
        if (!entry.module) throw new WasmError('bad_request', 'components are instantiated on their first call, not pre-warmed')
        const count = (await worker.request({ type: 'load', key: entry.key, module: entry.module, capPages: entry.capPages, instances: share }, this.options.maxTimeoutMs)) as number
        worker.loaded.set(entry.key, count)
        worker.heapPerInstance.set(entry.key, entry.heapBytes)
      }),
    )
    return { tenant: tenant.name, instances: this.instancesOfKey(tenant, entry.key), sha256: entry.sha256 }
  }

  /** Compile (or find) a module and put it in the cache, without running it. */
  async load(module: ModuleRef, memoryMb?: number): Promise<CachedModule> {
    return (await this.compiled(module, this.capPages(memoryMb))).entry
  }

  /**
   * The bytes of a module, by SHA-256 (to send it to an agent): from the cache, else from the modules
   * kept in the data folder; undefined when neither has it.
   */
  moduleBytes(sha256: string): Uint8Array | undefined {
    return this.cache.bySha(sha256.toLowerCase())?.source ?? this.uploads?.read(sha256, this.moduleLimits.maxModuleBytes)?.bytes
  }

  stats() {
    const tenants = [...this.tenants.values()].map((t) => ({
      name: t.name,
      workers: t.workers.filter((w) => w.alive).length,
      instances: this.instancesOf(t),
      running: t.running,
      calls: t.calls,
      failures: t.failures,
      lastUsed: new Date(t.lastUsed).toISOString(),
    }))
    return {
      ...this.metrics.snapshot(),
      activeInstances: tenants.reduce((n, t) => n + t.instances, 0),
      workers: tenants.reduce((n, t) => n + t.workers, 0),
      cache: this.cache.stats(),
      tenants,
      limits: { ...this.options, scratchDir: undefined, module: this.moduleLimits },
    }
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.tenants.values()].flatMap((t) => t.workers.map((w) => w.terminate())))
    this.tenants.clear()
  }

  // ---------------------------------------------------------------------------------------------

  private tenant(name: string): Tenant {
    if (this.closed) throw new WasmError('unavailable', 'the WASM pool is shutting down')
    if (!TENANT_NAME.test(name)) throw new WasmError('bad_request', `tenant names are 1–63 letters, digits, dots, dashes or underscores, not "${name.slice(0, 80)}"`)
    let tenant = this.tenants.get(name)
    if (!tenant) {
      tenant = { name, workers: [], running: 0, calls: 0, failures: 0, lastUsed: Date.now() }
      this.tenants.set(name, tenant)
    }
    return tenant
  }

  private capPages(memoryMb?: number): number {
    const mb = memoryMb ?? this.options.defaultMemoryMb
    if (!(mb > 0) || mb > this.options.maxMemoryMb) throw new WasmError('bad_request', `memory limit must be between 1 and ${this.options.maxMemoryMb} MiB, not ${mb}`)
    return Math.max(1, Math.floor((mb * 1024 * 1024) / PAGE_BYTES))
  }

  private timeout(timeoutMs?: number): number {
    const ms = timeoutMs ?? this.options.defaultTimeoutMs
    if (!(ms > 0) || ms > this.options.maxTimeoutMs) throw new WasmError('bad_request', `time limit must be between 1 and ${this.options.maxTimeoutMs} ms, not ${ms}`)
    return ms
  }

  private async compiled(ref: ModuleRef, capPages: number): Promise<{ entry: CachedModule; compiled: boolean }> {
    let bytes: Uint8Array
    let name: string
    if ('sha256' in ref) {
      const sha256 = ref.sha256.toLowerCase()
      const cached = this.cache.get(ModuleCache.key(sha256, capPages))
      if (cached) return { entry: cached, compiled: false }
      // Cached with another memory limit, or uploaded before a restart: compile its bytes again.
      const known = this.cache.bySha(sha256) ?? this.uploads?.read(sha256, this.moduleLimits.maxModuleBytes)
      if (!known) throw new WasmError('not_found', `no module with SHA-256 ${ref.sha256.slice(0, 16)}… in the cache${this.uploads ? ' or among the uploaded modules' : ''}: send its bytes`)
      bytes = 'source' in known ? known.source : known.bytes
      name = known.name
    } else if ('builtin' in ref) {
      bytes = builtinBytes(ref.builtin)
      name = ref.builtin
    } else {
      bytes = ref.bytes
      name = ref.name ?? 'upload.wasm'
    }
    checkModuleSize(bytes, this.moduleLimits)
    const sha256 = shaOf(bytes)
    const key = ModuleCache.key(sha256, capPages)
    const cached = this.cache.get(key)
    if (cached) return { entry: cached, compiled: false }
    const upload = 'bytes' in ref ? this.uploads : undefined
    upload?.checkRoom(sha256, bytes.length)
    const entry = await this.compile(bytes, name, sha256, key, capPages)
    // Kept once it compiled (a module that traps when run is still a module a deployment may name).
    upload?.keep(bytes, sha256, name)
    return { entry, compiled: true }
  }

  private async compile(bytes: Uint8Array, name: string, sha256: string, key: string, capPages: number): Promise<CachedModule> {
    const started = performance.now()
    if (binaryKind(bytes) === 'component') {
      const prepared = await this.components.prepare(bytes, sha256)
      const entry: CachedModule = {
        key,
        sha256,
        name,
        module: null,
        component: { dir: prepared.dir, imports: prepared.imports },
        source: bytes,
        capPages,
        heapBytes: 0,
        exports: prepared.exports.map((e) => `${e} (function)`),
        imports: prepared.imports,
        isCommand: false,
        compileMs: Math.round((performance.now() - started) * 100) / 100,
        hits: 0,
        lastUsed: Date.now(),
      }
      this.cache.put(entry)
      return entry
    }
    const layout = readLayout(bytes, this.moduleLimits)
    checkLayout(layout, capPages)
    let module: WebAssembly.Module
    try {
      // Up to a few MB, compiling synchronously is faster end to end: V8 compiles lazily (it only
      // validates here) and the answer does not wait for a turn of the event loop.
      const capped = capModule(bytes, layout, capPages, this.moduleLimits) as BufferSource
      module = bytes.length <= SYNC_COMPILE_BYTES ? new WebAssembly.Module(capped) : await WebAssembly.compile(capped)
    } catch (err) {
      throw new WasmError('bad_module', `not a valid WebAssembly module: ${(err as Error).message.replace(/^WebAssembly\.compile\(\): /, '')}`)
    }
    const imports = WebAssembly.Module.imports(module)
    const refused = imports.find((i) => !OFFERED_IMPORT_MODULES.has(i.module))
    if (refused) {
      throw new WasmError('import', `the module imports "${refused.module}"."${refused.name}" (${refused.kind}), which the pool does not offer: modules may import only WASI preview 1 (wasi_snapshot_preview1)`)
    }
    const entry: CachedModule = {
      key,
      sha256,
      name,
      module,
      source: bytes,
      capPages,
      heapBytes: engineHeapBytes(layout, this.moduleLimits),
      exports: WebAssembly.Module.exports(module).map((e) => `${e.name} (${e.kind})`),
      isCommand: WebAssembly.Module.exports(module).some((e) => e.name === '_start' && e.kind === 'function'),
      imports: imports.map((i) => `${i.module}.${i.name}`),
      compileMs: Math.round((performance.now() - started) * 100) / 100,
      hits: 0,
      lastUsed: Date.now(),
    }
    this.cache.put(entry)
    return entry
  }

  private async run(tenant: Tenant, entry: CachedModule, request: ExecuteRequest, timeoutMs: number, compiled: boolean): Promise<Omit<ExecuteResult, 'tenant' | 'module' | 'durationUs'>> {
    if (entry.component) return this.runComponent(tenant, entry, request, timeoutMs, compiled)
    const isCommand = entry.isCommand
    const builtin = 'builtin' in request.module ? builtinWorkload(request.module.builtin) : undefined
    if (request.wasi || (isCommand && !request.invoke)) return this.runWasi(tenant, entry, request, timeoutMs, compiled)

    const invoke = request.invoke ?? builtin?.defaultExport
    if (!invoke) throw new WasmError('bad_request', `name the export to call (the module exports: ${entry.exports.join(', ')})`)
    const worker = this.pickWorker(tenant)
    let cold = compiled
    if (!worker.loaded.has(entry.key)) {
      if (this.instancesOf(tenant) >= this.options.maxInstancesPerTenant) throw new WasmError('limit', `tenant "${tenant.name}" holds ${this.instancesOf(tenant)} instances (the limit is ${this.options.maxInstancesPerTenant})`)
      this.checkPoolInstances(1, entry)
      worker.loaded.set(entry.key, (await worker.request({ type: 'load', key: entry.key, module: entry.module!, capPages: entry.capPages, instances: 1 }, timeoutMs)) as number)
      worker.heapPerInstance.set(entry.key, entry.heapBytes)
      cold = true
    }
    const callableKey = `${entry.key}#${invoke}`
    let callable = worker.callables.get(callableKey)
    if (callable === undefined) {
      callable = (await worker.request({ type: 'bind', key: entry.key, exportName: invoke }, timeoutMs)) as number
      worker.callables.set(callableKey, callable)
    }
    const args = numbersOnly(request.args ?? [])
    if (request.input || builtin?.bytes) {
      const input = request.input ?? new Uint8Array()
      const slow = async () => ((await worker.request({ type: 'call', key: entry.key, exportName: invoke, args, input, fresh: request.fresh }, timeoutMs)) as { output: Uint8Array }).output
      let output: Uint8Array
      if (request.fresh || !TenantWorker.fitsFastBytes(input)) output = await slow()
      else {
        try {
          output = await worker.callBytes(callable, input, timeoutMs)
        } catch (err) {
          // The answer did not fit the shared buffer: byte workloads are pure, so ask again by message.
          if (!(err instanceof WasmError && err.kind === 'limit' && /fast channel/.test(err.message))) throw err
          output = await slow()
        }
      }
      return { mode: 'bytes', invoke, output: new Uint8Array(output.buffer, output.byteOffset, output.byteLength), cold }
    }
    const values = request.fresh
      ? ((await worker.request({ type: 'call', key: entry.key, exportName: invoke, args, fresh: true }, timeoutMs)) as { values: (number | string)[] }).values
      : (await worker.call(callable, args, timeoutMs)).map((v) => (typeof v === 'bigint' ? v.toString() : v))
    return { mode: 'call', invoke, values, cold }
  }

  private async runComponent(tenant: Tenant, entry: CachedModule, request: ExecuteRequest, timeoutMs: number, compiled: boolean): Promise<Omit<ExecuteResult, 'tenant' | 'module' | 'durationUs'>> {
    const builtin = 'builtin' in request.module ? builtinWorkload(request.module.builtin) : undefined
    const invoke = request.invoke ?? builtin?.defaultExport ?? (entry.exports.length === 1 ? entry.exports[0].replace(/ \(function\)$/, '') : undefined)
    if (!invoke) throw new WasmError('bad_request', `name the function to call (the component exports: ${entry.exports.map((e) => e.replace(/ \(function\)$/, '')).join(', ')})`)
    const worker = this.pickWorker(tenant)
    let cold = compiled
    if (!worker.loaded.has(entry.key)) {
      if (this.instancesOf(tenant) >= this.options.maxInstancesPerTenant) throw new WasmError('limit', `tenant "${tenant.name}" holds ${this.instancesOf(tenant)} instances (the limit is ${this.options.maxInstancesPerTenant})`)
      this.checkPoolInstances(1, entry)
      await worker.request({ type: 'component-load', key: entry.key, dir: entry.component!.dir, imports: entry.component!.imports, capPages: entry.capPages, limits: this.moduleLimits }, Math.max(timeoutMs, 30_000))
      worker.loaded.set(entry.key, 1)
      cold = true
    }
    const args = [...(request.args ?? []), ...(request.input ? [new TextDecoder().decode(request.input)] : [])]
    const { values } = (await worker.request({ type: 'component-call', key: entry.key, exportName: invoke, args }, timeoutMs)) as { values: (number | string)[] }
    return { mode: 'call', invoke, values, cold }
  }

  private async runWasi(tenant: Tenant, entry: CachedModule, request: ExecuteRequest, timeoutMs: number, compiled: boolean): Promise<Omit<ExecuteResult, 'tenant' | 'module' | 'durationUs'>> {
    const wasi = request.wasi ?? {}
    const preopens = this.claimPreopens(tenant, wasi.preopens ?? {})
    const scratch = mkdtempSync(join(this.options.scratchDir, 'dwcp-wasi-'))
    const inherit = wasi.output === 'inherit'
    try {
      if (wasi.stdin !== 'inherit') writeFileSync(join(scratch, 'stdin'), wasi.stdin ?? new Uint8Array())
      const worker = this.pickWorker(tenant)
      const exitCode = (await worker.request(
        {
          type: 'wasi',
          key: entry.key,
          module: entry.module!,
          capPages: entry.capPages,
          ...(request.invoke ? { invoke: request.invoke } : {}),
          args: [entry.name, ...(wasi.args ?? [])],
          env: wasi.env ?? {},
          preopens,
          stdio: {
            stdin: wasi.stdin === 'inherit' ? 'inherit' : join(scratch, 'stdin'),
            stdout: inherit ? 'inherit' : join(scratch, 'stdout'),
            stderr: inherit ? 'inherit' : join(scratch, 'stderr'),
          },
        },
        timeoutMs,
      )) as number
      const read = (name: string) => {
        const file = join(scratch, name)
        if (!existsSync(file)) return ''
        const size = statSync(file).size
        const text = readHead(file, MAX_OUTPUT_BYTES).toString('utf8')
        return size > MAX_OUTPUT_BYTES ? `${text}\n[… ${size - MAX_OUTPUT_BYTES} more bytes not kept]` : text
      }
      // A WASI run always gets a fresh instance (a command runs once): it counts as a cold start.
      void compiled
      return { mode: 'wasi', invoke: request.invoke ?? '_start', exitCode, ...(inherit ? {} : { stdout: read('stdout'), stderr: read('stderr') }), cold: true }
    } finally {
      rmSync(scratch, { recursive: true, force: true })
    }
  }

  /**
   * Check every preopen and reserve its host directory for this tenant: two tenants never share a
   * directory, nor one inside the other's.
   */
  private claimPreopens(tenant: Tenant, preopens: Record<string, string>): Record<string, string> {
    const resolved: Record<string, string> = {}
    for (const [guest, host] of Object.entries(preopens)) {
      if (!guest.startsWith('/')) throw new WasmError('bad_request', `a guest directory must be absolute, not "${guest}"`)
      let real: string
      try {
        real = realpathSync(host)
        if (!statSync(real).isDirectory()) throw new Error('not a directory')
      } catch {
        throw new WasmError('bad_request', `cannot preopen ${host}: not an existing directory`)
      }
      for (const [owned, owner] of this.preopenOwners) {
        if (owner !== tenant.name && (inside(real, owned) || inside(owned, real))) {
          throw new WasmError('limit', `${host} is already preopened by tenant "${owner}": tenants never share directories`)
        }
      }
      this.preopenOwners.set(real, tenant.name)
      resolved[guest] = real
    }
    return resolved
  }

  private pickWorker(tenant: Tenant): TenantWorker {
    // The hot path: an idle live worker, found without allocating.
    for (const w of tenant.workers) if (w.alive && w.pending === 0) return w
    tenant.workers = tenant.workers.filter((w) => w.alive)
    if (tenant.workers.length < this.options.maxWorkersPerTenant) return this.spawn(tenant)
    return tenant.workers.reduce((a, b) => (b.pending < a.pending ? b : a))
  }

  private spawn(tenant: Tenant): TenantWorker {
    this.makeRoomForWorker(tenant)
    const worker = new TenantWorker(tenant.name)
    tenant.workers.push(worker)
    return worker
  }

  /**
   * Every tenant's workers are threads of this process: at the pool's limit, end the idle workers of
   * the least recently used other tenant (its warm instances go with them), or refuse.
   */
  private makeRoomForWorker(tenant: Tenant): void {
    const alive = () => [...this.tenants.values()].reduce((n, t) => n + t.workers.filter((w) => w.alive).length, 0)
    if (alive() < this.options.maxWorkers) return
    const idle = [...this.tenants.values()]
      .filter((t) => t !== tenant && t.running === 0 && t.workers.some((w) => w.alive && w.pending === 0))
      .sort((a, b) => a.lastUsed - b.lastUsed)
    for (const other of idle) {
      for (const w of other.workers) if (w.alive && w.pending === 0) void w.terminate()
      other.workers = other.workers.filter((w) => w.alive)
      if (alive() < this.options.maxWorkers) return
    }
    throw new WasmError('limit', `the pool runs ${alive()} worker threads, all busy; the limit is ${this.options.maxWorkers}`)
  }

  /**
   * Every instance lives in this process: their count, and what they may hold in the engine's heap
   * (a module's tables, globals and element segments, multiplied by its instances), are bounded for
   * all tenants together.
   */
  private checkPoolInstances(more: number, entry: CachedModule): void {
    const workers = [...this.tenants.values()].flatMap((t) => t.workers.filter((w) => w.alive))
    const held = workers.reduce((n, w) => n + w.instances, 0)
    if (held + more > this.options.maxInstances) throw new WasmError('limit', `the pool holds ${held.toLocaleString('en')} instances; the limit is ${this.options.maxInstances.toLocaleString('en')} for all tenants together`)
    let heapBytes = more * entry.heapBytes
    for (const w of workers) for (const [key, count] of w.loaded) heapBytes += count * (w.heapPerInstance.get(key) ?? 0)
    const budget = this.options.heapBudgetMb * 1024 * 1024
    if (more > 0 && heapBytes > budget) {
      throw new WasmError('limit', `the pool's instances would hold ${mibOf(heapBytes)} MiB of tables, globals and element segments; the limit is ${this.options.heapBudgetMb} MiB for all tenants together (one instance of this module may take ${mibOf(entry.heapBytes)} MiB)`)
    }
  }

  private instancesOf(tenant: Tenant): number {
    return tenant.workers.filter((w) => w.alive).reduce((n, w) => n + w.instances, 0)
  }

  private instancesOfKey(tenant: Tenant, key: string): number {
    return tenant.workers.filter((w) => w.alive).reduce((n, w) => n + (w.loaded.get(key) ?? 0), 0)
  }
}

/** The first `limit` bytes of a file, without reading the rest: a program may write gigabytes to stdout. */
function readHead(file: string, limit: number): Buffer {
  const fd = openSync(file, 'r')
  try {
    const buffer = Buffer.alloc(Math.min(limit, fstatSync(fd).size))
    let filled = 0
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, filled)
      if (n === 0) break
      filled += n
    }
    return buffer.subarray(0, filled)
  } finally {
    closeSync(fd)
  }
}

function mibOf(bytes: number): number {
  return mib(bytes / PAGE_BYTES)
}

function numbersOnly(args: (number | string)[]): number[] {
  if (args.some((a) => typeof a !== 'number' || !Number.isFinite(a))) throw new WasmError('bad_request', 'arguments of a core module function must be finite numbers')
  return args as number[]
}

// Built-in modules are the same bytes every call: remember their digest rather than rehash.
const digests = new WeakMap<Uint8Array, string>()
function shaOf(bytes: Uint8Array): string {
  let sha = digests.get(bytes)
  if (!sha) {
    sha = createHash('sha256').update(bytes).digest('hex')
    digests.set(bytes, sha)
  }
  return sha
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(sep))
}
