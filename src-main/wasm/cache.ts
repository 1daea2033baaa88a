/**
 * Compiled modules by content: SHA-256 of the module's bytes (and the memory cap it was compiled
 * with, which is part of the code). Least recently used entries go first once the total size passes
 * the bound. A WebAssembly.Module crosses to worker threads without being compiled again, so one
 * cache serves every tenant's workers.
 */
export interface CachedModule {
  key: string
  sha256: string
  name: string
  /** The compiled core module; null for a component, whose bindings live on disk (components.ts). */
  module: WebAssembly.Module | null
  component?: { dir: string; imports: string[] }
  /** The module's own bytes (their length is what the cache counts), kept so a console can send them to the agents that run it. */
  source: Uint8Array
  capPages: number
  /** What one instance may hold in the engine's heap at most (tables, globals, element segments); 0 for a component. */
  heapBytes: number
  exports: string[]
  /** A WASI command (exports _start): runs once per instance. */
  isCommand: boolean
  imports: string[]
  compileMs: number
  hits: number
  lastUsed: number
}

export class ModuleCache {
  private readonly entries = new Map<string, CachedModule>()
  private totalBytes = 0
  private hits = 0
  private misses = 0

  constructor(private readonly maxBytes: number) {}

  static key(sha256: string, capPages: number): string {
    return `${sha256}:${capPages}`
  }

  /** A cached module, counted as a hit; undefined (a miss) when it must be compiled. */
  get(key: string): CachedModule | undefined {
    const entry = this.entries.get(key)
    if (!entry) {
      this.misses++
      return undefined
    }
    this.hits++
    entry.hits++
    entry.lastUsed = Date.now()
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry
  }

  /** Look without counting (listing the cache, finding a module by hash). */
  peek(key: string): CachedModule | undefined {
    return this.entries.get(key)
  }

  bySha(sha256: string): CachedModule | undefined {
    for (const entry of this.entries.values()) if (entry.sha256 === sha256) return entry
    return undefined
  }

  put(entry: CachedModule): void {
    const old = this.entries.get(entry.key)
    if (old) this.totalBytes -= old.source.length
    this.entries.set(entry.key, entry)
    this.totalBytes += entry.source.length
    for (const [key, victim] of this.entries) {
      if (this.totalBytes <= this.maxBytes || key === entry.key) break
      this.entries.delete(key)
      this.totalBytes -= victim.source.length
    }
  }

  list(): CachedModule[] {
    return [...this.entries.values()].reverse()
  }

  stats() {
    const lookups = this.hits + this.misses
    return { modules: this.entries.size, bytes: this.totalBytes, maxBytes: this.maxBytes, hits: this.hits, misses: this.misses, hitRate: lookups ? this.hits / lookups : 0 }
  }
}
