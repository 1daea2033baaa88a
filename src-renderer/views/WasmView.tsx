import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import type { CallInput, WasmExecuteResult, WasmMetricsView } from '../../src-main/api/contract'
import { formatBytes, formatRelative } from '../lib/format'
import { useConnection } from '../stores/connection'
import { fileToBase64, useWasm } from '../stores/wasm'

const NO_TENANTS: WasmMetricsView['tenants'] = []

/** Live figures refresh this often while the view is open. */
const REFRESH_MS = 1000

export function WasmView() {
  const connected = useConnection((s) => s.state === 'connected')
  const { refresh, loadBuiltins } = useWasm()
  useEffect(() => {
    if (!connected) return
    void loadBuiltins().catch(() => {})
    void refresh().catch(() => {})
    const timer = setInterval(() => void refresh().catch(() => {}), REFRESH_MS)
    return () => clearInterval(timer)
  }, [connected, refresh, loadBuiltins])
  return (
    <div className="wasm" data-testid="wasm-view">
      <MetricsBar />
      <div className="columns wasm-columns">
        <RunCard />
        <div className="wasm-side">
          <CacheCard />
          <TenantsCard />
        </div>
      </div>
    </div>
  )
}

function us(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—'
  return value >= 1000 ? `${(value / 1000).toFixed(value >= 10_000 ? 0 : 1)} ms` : `${Math.round(value)} µs`
}

function MetricsBar() {
  const metrics = useWasm((s) => s.metrics)
  const m: Partial<WasmMetricsView> = metrics ?? {}
  return (
    <div className="audit-header" data-testid="wasm-metrics">
      <dl className="audit-facts">
        <Fact label="Warm calls" testId="wasm-warm">
          <span className="audit-fact-number">{m.warmCalls?.toLocaleString() ?? '…'}</span>
          <span className="faint">p50 {us(m.warmP50Us)} · p99 {us(m.warmP99Us)}</span>
        </Fact>
        <Fact label="Cold starts" testId="wasm-cold">
          <span className="audit-fact-number">{m.coldCalls?.toLocaleString() ?? '…'}</span>
          <span className="faint">p50 {us(m.coldP50Us)} · p99 {us(m.coldP99Us)}</span>
        </Fact>
        <Fact label="Cache hit rate" testId="wasm-hit-rate">
          <span className="audit-fact-number">{m.cache ? `${(m.cache.hitRate * 100).toFixed(1)} %` : '…'}</span>
          {m.cache && <span className="faint">{m.cache.modules} modules · {formatBytes(m.cache.bytes)}</span>}
        </Fact>
        <Fact label="Active instances" testId="wasm-instances">
          <span className="audit-fact-number">{m.activeInstances?.toLocaleString() ?? '…'}</span>
          {m.workers !== undefined && <span className="faint">in {m.workers} worker{m.workers === 1 ? '' : 's'}</span>}
        </Fact>
        <Fact label="Failures" testId="wasm-failures">
          <span className="audit-fact-number">{m.failures ? Object.values(m.failures).reduce((a, b) => a + b, 0) : '…'}</span>
          {m.failures && Object.keys(m.failures).length > 0 && (
            <span className="faint">
              {Object.entries(m.failures)
                .map(([k, v]) => `${v} ${k.replace('_', ' ')}`)
                .join(' · ')}
            </span>
          )}
        </Fact>
      </dl>
    </div>
  )
}

function Fact({ label, children, testId }: { label: string; children: React.ReactNode; testId: string }) {
  return (
    <div className="audit-fact wasm-fact" data-testid={testId}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  )
}

type Source = { kind: 'builtin'; name: string } | { kind: 'file'; file: File }

function RunCard() {
  const builtins = useWasm((s) => s.builtins)
  const { run, running, result, error } = useWasm()
  const [source, setSource] = useState<Source>({ kind: 'builtin', name: 'http' })
  const [invoke, setInvoke] = useState('')
  const [args, setArgs] = useState('')
  const [input, setInput] = useState('GET /hello HTTP/1.1\r\nhost: edge-001\r\n\r\n')
  const [tenant, setTenant] = useState('default')
  const [memoryMb, setMemoryMb] = useState('64')
  const [timeoutMs, setTimeoutMs] = useState('5000')
  const [problem, setProblem] = useState<string | null>(null)
  const fileInput = useRef<HTMLInputElement>(null)
  const ids = { source: useId(), invoke: useId(), args: useId(), input: useId(), tenant: useId(), memory: useId(), timeout: useId() }

  const builtin = source.kind === 'builtin' ? builtins.find((b) => b.name === source.name) : undefined
  const takesBytes = builtin?.bytes ?? false
  const isUpload = source.kind === 'file'

  const submit = async (event?: FormEvent) => {
    event?.preventDefault()
    setProblem(null)
    // Numbers where they read as numbers; a component's functions also take words.
    const numbers = args.trim() ? args.trim().split(/[\s,]+/).map((a) => (Number.isFinite(Number(a)) ? Number(a) : a)) : []
    if (!builtin?.name.includes('greeter') && source.kind === 'builtin' && numbers.some((n) => typeof n === 'string')) return setProblem('Arguments are numbers, separated by spaces.')
    const request: CallInput<'wasm.execute'> = {
      module: source.kind === 'builtin' ? { builtin: source.name } : { base64: await fileToBase64(source.file), name: source.file.name },
      tenant: tenant.trim() || 'default',
      memoryMb: Number(memoryMb) || 64,
      timeoutMs: Math.round(Number(timeoutMs)) || 5000,
    }
    if (invoke.trim()) request.invoke = invoke.trim()
    if (numbers.length) request.args = numbers
    if (takesBytes) request.inputText = input
    // An uploaded program with no function named runs as a WASI command; the text is its stdin.
    if (isUpload && !invoke.trim()) request.wasi = { args: args.trim() ? args.trim().split(/\s+/) : [], stdinText: input }
    await run(request)
  }

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      void submit()
    }
  }

  return (
    <section className="card wasm-run" aria-labelledby={ids.source + '-title'} data-testid="wasm-run">
      <header className="card-header">
        <h2 id={ids.source + '-title'}>Run a workload</h2>
        <p className="card-hint">A built-in workload or a .wasm file of yours, in a tenant of its own, with a memory and a time limit. Ctrl+Enter runs it.</p>
      </header>
      <form className="card-body wasm-form" onSubmit={submit} onKeyDown={onKeyDown}>
        <div className="wasm-form-row">
          <label htmlFor={ids.source} className="field-label">
            Module
          </label>
          <select
            id={ids.source}
            className="input"
            data-testid="wasm-source"
            value={source.kind === 'builtin' ? source.name : '__file'}
            onChange={(e) => {
              if (e.target.value === '__file') fileInput.current?.click()
              else setSource({ kind: 'builtin', name: e.target.value })
            }}
          >
            {builtins.map((b) => (
              <option key={b.name} value={b.name}>
                built-in: {b.name} — {b.description}
              </option>
            ))}
            {source.kind === 'file' && <option value="__file">{source.file.name} ({formatBytes(source.file.size)})</option>}
            <option value="__pick" disabled>
              ──────────
            </option>
            <option value="__file">{source.kind === 'file' ? 'Choose another .wasm file…' : 'Upload a .wasm file…'}</option>
          </select>
          <input
            ref={fileInput}
            type="file"
            accept=".wasm,application/wasm"
            hidden
            data-testid="wasm-upload"
            onChange={(e) => {
              const file = e.target.files?.[0]
              if (file) setSource({ kind: 'file', file })
              e.target.value = ''
            }}
          />
        </div>
        <div className="wasm-form-grid">
          <Field id={ids.invoke} label="Export to call">
            <input id={ids.invoke} className="input input-mono" value={invoke} onChange={(e) => setInvoke(e.target.value)} placeholder={builtin ? builtin.defaultExport : isUpload ? '_start (WASI)' : ''} data-testid="wasm-invoke" />
          </Field>
          <Field id={ids.args} label={isUpload && !invoke ? 'Program arguments' : 'Arguments'}>
            <input id={ids.args} className="input input-mono" value={args} onChange={(e) => setArgs(e.target.value)} placeholder={source.kind === 'builtin' && source.name === 'trivial' ? '2 40' : ''} data-testid="wasm-args" />
          </Field>
          <Field id={ids.tenant} label="Tenant">
            <input id={ids.tenant} className="input input-mono" value={tenant} onChange={(e) => setTenant(e.target.value)} data-testid="wasm-tenant" />
          </Field>
          <Field id={ids.memory} label="Memory limit (MiB)">
            <input id={ids.memory} className="input" type="number" min={1} max={4096} value={memoryMb} onChange={(e) => setMemoryMb(e.target.value)} data-testid="wasm-memory" />
          </Field>
          <Field id={ids.timeout} label="Time limit (ms)">
            <input id={ids.timeout} className="input" type="number" min={1} max={600000} value={timeoutMs} onChange={(e) => setTimeoutMs(e.target.value)} data-testid="wasm-timeout" />
          </Field>
        </div>
        {(takesBytes || isUpload) && (
          <Field id={ids.input} label={takesBytes ? 'Input (text, sent as bytes)' : 'Standard input'}>
            <textarea id={ids.input} className="input input-mono wasm-input" rows={4} value={input} onChange={(e) => setInput(e.target.value)} data-testid="wasm-input" />
          </Field>
        )}
        {problem && <p className="field-problems">{problem}</p>}
        <div className="button-row">
          <button type="submit" className="btn btn-primary" disabled={running} data-testid="wasm-run-button">
            {running ? 'Running…' : 'Run'}
          </button>
        </div>
        <Outcome result={result} error={error} />
      </form>
    </section>
  )
}

function Field({ id, label, children }: { id: string; label: string; children: React.ReactNode }) {
  return (
    <div className="wasm-field">
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      {children}
    </div>
  )
}

function Outcome({ result, error }: { result: WasmExecuteResult | null; error: string | null }) {
  if (error) {
    return (
      <div className="wasm-outcome wasm-outcome-failed" role="alert" data-testid="wasm-error">
        {error}
      </div>
    )
  }
  if (!result) return null
  const output = result.outputText ?? (result.outputBase64 ? hex(result.outputBase64) : undefined)
  return (
    <div className="wasm-outcome" data-testid="wasm-result" data-mode={result.mode}>
      <div className="wasm-outcome-head">
        <span className={`wasm-badge ${result.cold ? 'wasm-badge-cold' : 'wasm-badge-warm'}`}>{result.cold ? 'cold start' : 'warm'}</span>
        <span>{us(result.durationUs)}</span>
        <span className="faint">
          {result.module.name} · {result.invoke} · tenant {result.tenant}
        </span>
        {result.exitCode !== undefined && <span className={result.exitCode === 0 ? 'wasm-exit-ok' : 'wasm-exit-failed'}>exit code {result.exitCode}</span>}
      </div>
      {result.values && <pre className="wasm-pre" data-testid="wasm-values">{result.values.join(' ')}</pre>}
      {output !== undefined && <pre className="wasm-pre" data-testid="wasm-output">{output}</pre>}
      {result.stdout !== undefined && result.stdout !== '' && <pre className="wasm-pre" data-testid="wasm-stdout">{result.stdout}</pre>}
      {result.stderr !== undefined && result.stderr !== '' && <pre className="wasm-pre wasm-stderr" data-testid="wasm-stderr">{result.stderr}</pre>}
    </div>
  )
}

function hex(base64: string): string {
  return Array.from(atob(base64), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('')
}

function CacheCard() {
  const modules = useWasm((s) => s.modules)
  const now = Date.now()
  return (
    <section className="card" data-testid="wasm-cache">
      <header className="card-header">
        <h2>Modules in cache</h2>
        <p className="card-hint">Compiled once, found again by the SHA-256 of their bytes.</p>
      </header>
      <div className="card-body">
        {modules.length === 0 ? (
          <p className="faint">Nothing compiled yet: run something.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Module</th>
                <th>SHA-256</th>
                <th className="numeric">Size</th>
                <th className="numeric">Hits</th>
                <th>Used</th>
              </tr>
            </thead>
            <tbody>
              {modules.map((m) => (
                <tr key={`${m.sha256}:${m.memoryLimitMb}`} title={`exports: ${m.exports.join(', ')}\nmemory limit: ${m.memoryLimitMb} MiB · compiled in ${m.compileMs} ms`}>
                  <td>{m.name}</td>
                  <td>
                    <code>{m.sha256.slice(0, 12)}…</code>
                  </td>
                  <td className="numeric">{formatBytes(m.bytes)}</td>
                  <td className="numeric">{m.hits.toLocaleString()}</td>
                  <td className="faint">{formatRelative(m.lastUsed, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  )
}

function TenantsCard() {
  // A selector must return a stable value (zustand 5): the same empty list every time.
  const tenants = useWasm((s) => s.metrics?.tenants ?? NO_TENANTS)
  return (
    <section className="card" data-testid="wasm-tenants">
      <header className="card-header">
        <h2>Tenants</h2>
        <p className="card-hint">Each tenant's instances live in its own worker threads, never shared with another tenant.</p>
      </header>
      <div className="card-body">
        {tenants.length === 0 ? (
          <p className="faint">No tenant has run anything yet.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Tenant</th>
                <th className="numeric">Workers</th>
                <th className="numeric">Instances</th>
                <th className="numeric">Calls</th>
                <th className="numeric">Failed</th>
              </tr>
            </thead>
            <tbody>
              {tenants.map((t) => (
                <tr key={t.name} data-testid="wasm-tenant-row">
                  <td>{t.name}</td>
                  <td className="numeric">{t.workers}</td>
                  <td className="numeric">{t.instances}</td>
                  <td className="numeric">{t.calls.toLocaleString()}</td>
                  <td className="numeric">{t.failures}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  )
}
