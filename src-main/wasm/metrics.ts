/**
 * Cold and warm calls, their latencies (p50/p99 over the most recent calls), failures by kind; the
 * pool's gauges are read when Prometheus scrapes, so /metrics and the API agree.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

const SAMPLES = 10_000

class Reservoir {
  private readonly values = new Float64Array(SAMPLES)
  private count = 0

  add(value: number): void {
    this.values[this.count % SAMPLES] = value
    this.count++
  }

  percentile(p: number): number | null {
    const n = Math.min(this.count, SAMPLES)
    if (n === 0) return null
    const sorted = Array.from(this.values.subarray(0, n)).sort((a, b) => a - b)
    return sorted[Math.min(n - 1, Math.floor((p / 100) * n))]
  }
}

export interface PoolGauges {
  activeInstances(): number
  cacheHitRate(): number
  cacheBytes(): number
}

export class WasmMetrics {
  cold = 0
  warm = 0
  failures: Record<string, number> = {}
  private readonly coldUs = new Reservoir()
  private readonly warmUs = new Reservoir()
  private prom?: { calls: Counter<'start' | 'outcome'>; seconds: Histogram<'start'> }

  /** Register the pool's series in a Prometheus registry (the host's, served at /metrics). */
  register(registry: Registry, gauges: PoolGauges): void {
    this.prom = {
      calls: new Counter({ name: 'dwcp_wasm_calls_total', help: 'WASM pool calls by start kind and outcome', labelNames: ['start', 'outcome'], registers: [registry] }),
      seconds: new Histogram({
        name: 'dwcp_wasm_call_seconds',
        help: 'WASM pool call latency',
        labelNames: ['start'],
        buckets: [0.00001, 0.00005, 0.0001, 0.00025, 0.001, 0.005, 0.02, 0.1, 1, 10],
        registers: [registry],
      }),
    }
    new Gauge({ name: 'dwcp_wasm_active_instances', help: 'Instances alive in the WASM pool', registers: [registry], collect() { this.set(gauges.activeInstances()) } })
    new Gauge({ name: 'dwcp_wasm_cache_hit_ratio', help: 'Compiled-module cache hit rate', registers: [registry], collect() { this.set(gauges.cacheHitRate()) } })
    new Gauge({ name: 'dwcp_wasm_cache_bytes', help: 'Bytes of modules in the compiled-module cache', registers: [registry], collect() { this.set(gauges.cacheBytes()) } })
  }

  recordCall(cold: boolean, durationUs: number, outcome: string): void {
    const start = cold ? 'cold' : 'warm'
    if (outcome === 'ok') {
      if (cold) {
        this.cold++
        this.coldUs.add(durationUs)
      } else {
        this.warm++
        this.warmUs.add(durationUs)
      }
    } else {
      this.failures[outcome] = (this.failures[outcome] ?? 0) + 1
    }
    this.prom?.calls.inc({ start, outcome })
    this.prom?.seconds.observe({ start }, durationUs / 1e6)
  }

  snapshot() {
    return {
      coldCalls: this.cold,
      warmCalls: this.warm,
      failures: { ...this.failures },
      coldP50Us: this.coldUs.percentile(50),
      coldP99Us: this.coldUs.percentile(99),
      warmP50Us: this.warmUs.percentile(50),
      warmP99Us: this.warmUs.percentile(99),
    }
  }
}
