/**
 * The composition root. It builds every engine on one database and hands the result to whichever
 * shell runs it: Electron main, `dwcp serve`, `dwcp agent`, a CLI command, a test. Shells hold no
 * logic of their own; engines meet only here, through their public faces.
 */
import { mkdirSync } from 'node:fs'
import { basename, isAbsolute, join, resolve } from 'node:path'
import { AUDIT_MIGRATIONS, AuditInputError, AuditService, AuditWriteError, BundleError, ProofError } from './audit'
import type { EngineStatus, SystemInfo } from './api/contract'
import { createDispatch, type CallContext, type Dispatch, type Handlers } from './api/dispatch'
import { ApiError } from './api/errors'
import { actorOf, auditedBy } from './handlers/audited'
import { EventBus } from './events'
import { createLogger, type Logger } from './log'
import { cliLauncher } from './paths'
import { FEATURES, PREFERRED_PROTOCOL_VERSION, PROTOCOL_MIGRATIONS, PROTOCOL_VERSIONS, ProtocolConsole, ProtocolError, type ConnectedAgent } from './protocol'
import { protocolHandlers } from './handlers/protocol'
import { DemoFleetHolder, demoFleetHandlers } from './handlers/demo-fleet'
import { intentHandlers } from './handlers/intent'
import { DEFAULT_INTENT_SETTINGS, IntentEngine, IntentError, type IntentSettings } from './intent'
import { plainFileCipher, SettingsService, type SecretCipher } from './settings'
import {
  BackupError,
  createBackup,
  listBackups,
  resolveBackupPath,
  restoreBackup,
  Store,
  STORE_MIGRATIONS,
  verifyBackup,
} from './store'
import { TerminalNotFoundError, TerminalService } from './terminal'
import { ModuleStore, WASM_MIGRATIONS, WasmError, WasmPool } from './wasm'
import { wasmHandlers } from './handlers/wasm'
import { RELEASE_MIGRATIONS, ReleaseError, ReleaseManager } from './release'
import { releaseHandlers } from './handlers/release'
import { attachAgents, NoFitError, Orchestrator, ORCHESTRATOR_MIGRATIONS, OrchestratorError, type AgentHeartbeat, type AgentInfo } from './orchestrator'
import { orchestratorHandlers } from './handlers/orchestrator'
import { Registry } from 'prom-client'
import { PRODUCT_NAME, PRODUCT_VERSION } from './version'

export type ShellKind = SystemInfo['shell']

export interface HostOptions {
  home: string
  shell: ShellKind
  /** How secrets are sealed: Electron passes safeStorage; headless uses a 0600 file. */
  secretCipher?: SecretCipher
  /** Command that runs this installation's CLI, for the terminal's `dwcp`. */
  cliCommand?: string[]
  logger?: Logger
}

export interface Host {
  readonly home: string
  readonly store: Store
  readonly settings: SettingsService<IntentSettings>
  readonly terminals: TerminalService
  readonly audit: AuditService
  readonly wasm: WasmPool
  /** Feature flags, the alpha program and rollback to v3; `release.isEnabled(flag, user?)` gates features. */
  readonly release: ReleaseManager
  /** Edge devices, placement, deployments; `orchestrator.attachRunner(...)` hands it the agents. */
  readonly orchestrator: Orchestrator
  /** The DWCP peer: agents connect to it once a shell calls `protocol.listen(...)`. */
  readonly protocol: ProtocolConsole
  /** Prometheus series of every engine, served at /metrics. */
  readonly metrics: Registry
  readonly events: EventBus
  readonly log: Logger
  /** Validate and run one call of the contract. */
  readonly call: Dispatch
  /** A client (window, socket) went away: release what it held. */
  dropClient(clientId: string): void
  close(): Promise<void>
}

function defaultCliCommand(): string[] {
  return [process.execPath, cliLauncher()]
}

export function createHost(options: HostOptions): Host {
  const store = Store.open({ home: options.home })
  const log = options.logger ?? createLogger(options.home, options.shell)
  const events = new EventBus()
  const settings = new SettingsService<IntentSettings>(store, options.secretCipher ?? plainFileCipher, DEFAULT_INTENT_SETTINGS)
  // DWCP_AUDIT_HEAD_INTERVAL_MS shortens the head-signing interval (tests and benchmarks straddle it).
  const headIntervalMs = Number(process.env.DWCP_AUDIT_HEAD_INTERVAL_MS) || undefined
  const audit = new AuditService(store, { product: `${PRODUCT_NAME} ${PRODUCT_VERSION}`, logger: log, ...(headIntervalMs ? { headIntervalMs } : {}) })
  audit.log.onAppend((entries) => events.emit('audit', { entries, size: audit.log.size }))
  const terminals = new TerminalService({
    binDir: join(options.home, 'bin'),
    cliCommand: options.cliCommand ?? defaultCliCommand(),
    env: { DWCP_HOME: options.home },
    cwd: process.env.HOME ?? options.home,
  })

  // Engines: each is built here from its public index.ts and handed only what it needs.
  const metrics = new Registry()
  // Modules uploaded to the console stay in the data folder, so their deployments start after a restart
  // (an agent is sent the bytes with every start and keeps none).
  const storedModulesMb = Number(process.env.DWCP_WASM_MODULES_MB) || undefined
  const moduleStore = options.shell === 'agent' ? undefined : new ModuleStore({ store, dir: join(options.home, 'wasm', 'modules'), ...(storedModulesMb ? { maxBytes: storedModulesMb * 1024 * 1024 } : {}) })
  const wasm = new WasmPool({ scratchDir: join(options.home, 'wasm', 'scratch'), ...(moduleStore ? { moduleStore } : {}) })
  mkdirSync(join(options.home, 'wasm', 'scratch'), { recursive: true })
  wasm.metrics.register(metrics, {
    activeInstances: () => wasm.stats().activeInstances,
    cacheHitRate: () => wasm.cache.stats().hitRate,
    cacheBytes: () => wasm.cache.stats().bytes,
  })

  const release = new ReleaseManager({ store, home: options.home, record: (entry) => audit.record(entry) })
  release.registerMetrics(metrics)

  // The protocol peer. A rollback pins every link to v3 through it; a pin kept from an earlier
  // rollback applies to every agent that connects after a restart.
  const protocol = new ProtocolConsole({
    store,
    home: options.home,
    record: (entry) => audit.record({ actor: 'system', ...entry }),
    // Compressed frames roll out by agent name under the enhanced_compression flag; a link made while
    // it is off for that agent sends every frame plain (the Protocol view shows its ratio at 1.00).
    features: (agentName) => FEATURES.filter((f) => f.name !== 'enhanced_compression' || release.isEnabled('enhanced_compression', agentName)),
    // ML-KEM joins an agent's key exchange while quantum_crypto is on for it (the default); off, X25519 alone.
    postQuantum: (agentName) => release.isEnabled('quantum_crypto', agentName),
    log: (level, message, details) => log[level](details, message),
  })
  protocol.registerMetrics(metrics)
  release.rollback.attachProtocol({ pin: (version) => protocol.pin(version) })
  const keptPin = release.rollback.pinnedVersion()
  if (keptPin) void protocol.pin(keptPin)
  if (options.shell === 'electron' || options.shell === 'server') release.startSweeping()

  // Connected agents are the orchestrator's live devices, and run its replicas over their links.
  const orchestrator = new Orchestrator({
    store,
    onEvent: (e) => events.emit('edge', e),
    // Cloud nodes are used per deployment (bucketed by its name) while edge_cloud_continuum is on for it.
    cloudRefused: (deployment) => {
      const verdict = release.evaluate('edge_cloud_continuum', deployment)
      return verdict.enabled ? null : `cloud nodes not used, flag edge_cloud_continuum is off${deployment ? ` for ${deployment}` : ''} (${verdict.reason})`
    },
  })
  attachAgents(orchestrator, {
    connected: () => protocol.list().map(agentInfo),
    on: ((event: 'connect' | 'heartbeat' | 'disconnect', fn: (value: never) => void) => {
      if (event === 'connect') protocol.on('connect', (a) => (fn as (v: AgentInfo) => void)(agentInfo(a)))
      else if (event === 'heartbeat') protocol.on('heartbeat', (b) => (fn as (v: AgentHeartbeat) => void)(agentHeartbeat(b)))
      else protocol.on('disconnect', (d) => (fn as (v: { agentId: string; reason?: string }) => void)(d))
    }) as Parameters<typeof attachAgents>[1]['on'],
    callAgent: protocol.callAgent,
    moduleBytes: (sha256) => wasm.moduleBytes(sha256),
    // A CLI process beside a running console records replicas; the console starts them.
    hosting: () => protocol.listening !== null,
  })
  for (const event of ['connect', 'disconnect', 'renegotiate', 'refused'] as const) {
    protocol.on(event, (value) => {
      const v = value as { agentId?: string; name?: string; reason?: string; version?: string; message?: string }
      events.emit('protocol', { kind: event, agent: v.agentId ?? v.name ?? '?', detail: v.reason ?? v.version ?? v.message ?? '' })
    })
  }
  if (options.shell === 'electron' || options.shell === 'server') orchestrator.startMonitoring()

  const demo = new DemoFleetHolder()
  // The intent engine carries intents out through the same dispatch every caller uses.
  const intents = new IntentEngine({
    settings: () => settings.intent(),
    apiKey: () => settings.apiKey(),
    claudeRefused: () => {
      const verdict = release.evaluate('ai_llm_integration')
      return verdict.enabled ? null : `Claude is not asked: flag ai_llm_integration is off (${verdict.reason}); the offline parser answered. \`dwcp flags set ai_llm_integration --enabled true\` turns it on`
    },
    record: (entry) => audit.record({ actor: 'user', ...entry }),
  })
  let dispatchRef: Dispatch | undefined
  const handlers = buildHandlers({ options, store, settings, terminals, events, audit, wasm, release, orchestrator, protocol, demo, intents, dispatch: () => dispatchRef! })
  const dispatch = createDispatch(handlers)
  const call: Dispatch = async (method, input, ctx) => {
    try {
      return await dispatch(method, input, ctx)
    } catch (err) {
      const apiError = translate(err)
      // Only the method and the outcome are logged: inputs may hold secrets (an API key).
      if (apiError.code === 'internal') log.error({ method, err: apiError.message }, 'call failed')
      throw apiError
    }
  }
  dispatchRef = call

  log.info({ home: options.home, shell: options.shell, version: PRODUCT_VERSION }, 'host started')
  if (options.shell === 'electron' || options.shell === 'server') {
    // A damaged log refuses every change, but the console still starts: to verify it, and to restore.
    if (audit.log.damaged) log.error({ problem: audit.log.damaged }, 'the audit log is damaged: changes are refused')
    else audit.record({ actor: 'system', action: 'host.start', target: options.shell, outcome: 'ok', details: { version: PRODUCT_VERSION } })
    // A running host keeps a warm worker with the built-in workloads, so the first call is not a cold one.
    for (const builtin of ['trivial', 'hash', 'transform', 'http']) {
      wasm.prewarm({ builtin }).catch((err: Error) => log.warn({ builtin, err: err.message }, 'could not pre-warm a built-in workload'))
    }
  }
  return {
    home: options.home,
    store,
    settings,
    terminals,
    audit,
    wasm,
    release,
    orchestrator,
    protocol,
    metrics,
    events,
    log,
    call,
    dropClient: (clientId) => terminals.closeOwner(clientId),
    async close() {
      terminals.closeAll()
      await demo.stop()
      // Before the links drop: the agents' disconnects are the console leaving, not devices failing.
      orchestrator.close()
      await protocol.close()
      release.close()
      await wasm.close()
      if (store.db.open) {
        if ((options.shell === 'electron' || options.shell === 'server') && !audit.log.damaged) audit.record({ actor: 'system', action: 'host.stop', target: options.shell, outcome: 'ok' })
        audit.close()
      }
      store.close()
      log.info('host stopped')
      await new Promise<void>((resolve) => log.flush(() => resolve()))
    },
  }
}

interface Parts {
  intents: IntentEngine
  dispatch: () => Dispatch
  demo: DemoFleetHolder
  protocol: ProtocolConsole
  orchestrator: Orchestrator
  wasm: WasmPool
  release: ReleaseManager
  options: HostOptions
  store: Store
  settings: SettingsService<IntentSettings>
  terminals: TerminalService
  events: EventBus
  audit: AuditService
}

function buildHandlers({ options, store, settings, terminals, events, audit, wasm, release, orchestrator, protocol, demo, intents, dispatch }: Parts): Handlers {
  const audited = auditedBy(audit)
  const wasmExecute = wasmHandlers({ pool: wasm, home: options.home, audited })['wasm.execute']
  const exportsDir = resolve(options.home, 'exports')
  // Over the API a bundle is named, and lives in <data folder>/exports; the CLI may give any path.
  const bundlePath = (file: string, ctx: CallContext) => {
    if (ctx.transport === 'cli' || ctx.transport === 'test') return isAbsolute(file) ? file : resolve(file)
    if (file !== basename(file) || file.startsWith('.')) throw new ApiError('bad_request', 'give a bundle by file name; it is kept in the data folder’s exports/')
    mkdirSync(exportsDir, { recursive: true, mode: 0o700 })
    return resolve(exportsDir, file.endsWith('.dwcpaudit') ? file : `${file}.dwcpaudit`)
  }
  const progress = (ctx: CallContext, operation: 'verify' | 'export' | 'open') => (done: number, total: number) => ctx.emit('audit:progress', { operation, done, total })
  const health = () => ({
    status: 'ok' as const,
    product: PRODUCT_NAME,
    version: PRODUCT_VERSION,
    protocolVersions: [...PROTOCOL_VERSIONS],
  })
  const settingsChanged = <T extends ReturnType<SettingsService<IntentSettings>['view']>>(view: T): T => {
    events.emit('settings', view)
    return view
  }
  // Only the CLI, run by the user on their own machine, may name arbitrary paths.
  const backupPath = (file: string, ctx: CallContext) => resolveBackupPath(store, file, ctx.transport === 'cli' || ctx.transport === 'test')

  return {
    'system.health': health,
    'system.info': () => ({
      ...health(),
      dataDir: options.home,
      databaseFile: store.file,
      shell: options.shell,
      platform: `${process.platform}-${process.arch}`,
      runtime: { node: process.versions.node, ...(process.versions.electron ? { electron: process.versions.electron } : {}) },
      // A rollback to v3 pins the protocol; the status bar shows it.
      activeProtocolVersion: protocol.pinnedVersion ?? release.rollback.pinnedVersion() ?? PREFERRED_PROTOCOL_VERSION,
      engines: engineStatuses(),
    }),
    'settings.get': () => settings.view(),
    'settings.update': (input, ctx) => audited(ctx, { action: 'settings.update', target: 'settings', details: input }, () => settingsChanged(settings.update(input))),
    // The key itself is never written anywhere but the sealed secrets file.
    'settings.setApiKey': (input, ctx) => audited(ctx, { action: 'settings.api-key.set', target: 'anthropic' }, () => settingsChanged(settings.setApiKey(input.apiKey))),
    'settings.clearApiKey': (_input, ctx) => audited(ctx, { action: 'settings.api-key.clear', target: 'anthropic' }, () => settingsChanged(settings.clearApiKey())),
    'backup.create': (input, ctx) =>
      audited(
        ctx,
        { action: 'backup.create', target: input.file ?? 'backups/' },
        async () => createBackup(store, { ...(input.file ? { file: backupPath(input.file, ctx) } : {}), reason: input.reason ?? `requested over ${ctx.transport}` }),
        (b) => ({ file: b.file, sha256: b.sha256, sizeBytes: b.sizeBytes }),
      ),
    'backup.list': () => listBackups(store),
    'backup.verify': (input, ctx) =>
      audited(ctx, { action: 'backup.verify', target: input.file }, async () => verifyBackup(backupPath(input.file, ctx), store.knownSchema()), (v) => ({ ok: v.ok, problems: v.problems })),
    'backup.restore': async (input, ctx) => {
      const result = await audited(ctx, { action: 'backup.restore', target: input.file, safety: 'dangerous' }, async () => restoreBackup(store, backupPath(input.file, ctx)), (r) => ({ previousStateSavedTo: r.previousStateSavedTo }))
      events.emit('settings', settings.view())
      return result
    },
    'audit.status': () => audit.status(),
    'audit.query': (input) => audit.log.query(input.filter, input.limit, input.beforeSeq),
    'audit.page': (input) => audit.log.page(input.fromSeq, input.limit),
    'audit.proof': (input) => audit.proof(input.seq),
    'audit.verify': async (_input, ctx) => {
      const report = await audit.verify(progress(ctx, 'verify'))
      // A log too damaged to take this entry still gets its report: the report says what is wrong.
      if (audit.log.damaged) return report
      audit.record({ actor: actorOf(ctx), action: 'audit.verify', target: 'audit-log', outcome: report.ok ? 'ok' : 'failed', details: { entries: report.entries, problem: report.problem?.message ?? null, via: ctx.transport } })
      return report
    },
    'audit.sign': (_input, ctx) => audit.sign(`requested over ${ctx.transport}`),
    'audit.export': (input, ctx) => {
      const file = bundlePath(input.file ?? `audit-${new Date().toISOString().replace(/[:.]/g, '-')}.dwcpaudit`, ctx)
      return audited(ctx, { action: 'audit.export', target: file, details: { filter: input.filter } }, async () => audit.export(file, input.filter, progress(ctx, 'export')), (r) => ({ entries: r.entries, bytes: r.bytes }))
    },
    'audit.openBundle': async (input, ctx) => {
      const source = input.contentBase64 ? { base64: input.contentBase64 } : bundlePath(input.file!, ctx)
      const review = await audit.openBundle(source, progress(ctx, 'open')).catch((err: unknown) => {
        // A refused file is recorded too: someone tried to open it.
        if (err instanceof BundleError) audit.record({ actor: actorOf(ctx), action: 'audit.bundle.open', target: input.name ?? input.file ?? 'upload', outcome: 'refused', details: { problem: err.message, via: ctx.transport } })
        throw err
      })
      audit.record({ actor: actorOf(ctx), action: 'audit.bundle.open', target: input.name ?? input.file ?? 'upload', outcome: review.verdict.ok ? 'ok' : 'failed', details: { keyFingerprint: review.keyFingerprint, entries: review.entryCount, via: ctx.transport } })
      return { file: typeof source === 'string' ? source : (input.name ?? 'upload'), ...review }
    },
    'terminal.open': (input, ctx) =>
      terminals.open(ctx.clientId, input, {
        data: (id, data) => ctx.emit('terminal:data', { id, data }),
        exit: (id, exitCode, signal) => ctx.emit('terminal:exit', { id, exitCode, ...(signal ? { signal } : {}) }),
      }),
    'terminal.write': (input, ctx) => (terminals.write(ctx.clientId, input.id, input.data), {}),
    'terminal.resize': (input, ctx) => (terminals.resize(ctx.clientId, input.id, input.cols, input.rows), {}),
    'terminal.ack': (input, ctx) => (terminals.ack(ctx.clientId, input.id, input.chars), {}),
    'terminal.close': (input, ctx) => (terminals.close(ctx.clientId, input.id), {}),
    'terminal.list': (_input, ctx) => terminals.list(ctx.clientId),
    // Each engine's handlers: src-main/handlers/<engine>.ts returns HandlersFor<its methods>.
    ...wasmHandlers({ pool: wasm, home: options.home, audited }),
    ...releaseHandlers({ release, audited, events }),
    ...orchestratorHandlers({ orchestrator, audited, events }),
    ...protocolHandlers({ protocol, audited }),
    ...demoFleetHandlers({ home: options.home, protocol, audited, demo }),
    ...intentHandlers({ engine: intents, dispatch }),
    // Features behind a flag: a flag that is off refuses the call and says which flag and why.
    'wasm.execute': (input, ctx) => {
      requireFeature(release, 'wasm_runtime', input.tenant ?? 'default')
      return wasmExecute(input, ctx)
    },
  }
}

/** What each engine is, and which are not built yet — shown plainly in the UI, never faked. */
function engineStatuses(): EngineStatus[] {
  return [
    { id: 'store', name: 'Store', ready: true, detail: 'SQLite database, migrations, backup and restore' },
    { id: 'terminal', name: 'Terminal', ready: true, detail: 'Shells on real pseudo-terminals' },
    { id: 'audit', name: 'Audit log', ready: true, detail: 'Append-only, Merkle-hashed audit log with ML-DSA-signed heads' },
    { id: 'wasm', name: 'WASM pool', ready: true, detail: 'Cached, pre-warmed, per-tenant WebAssembly execution (core modules, WASI preview 1)' },
    { id: 'protocol', name: 'Protocol peer', ready: true, detail: 'DWCP v4 links (X25519 + ML-KEM-768, ML-DSA-65 identities, AEAD) and v3 compatibility; edge agents enrol with one-time tokens' },
    { id: 'orchestrator', name: 'Orchestrator', ready: true, detail: 'Edge device registry, explained placement (five strategies), deployments, failure rescheduling, rebalance; replicas run on connected agents' },
    { id: 'release', name: 'Release manager', ready: true, detail: 'Feature flags with gradual rollout, early adopters, feedback clocks, telemetry, readiness, rollback to v3' },
    { id: 'intent', name: 'Intent engine', ready: true, detail: 'Requests in words → safety-rated intents (Claude with tool use, or the offline parser), guardrails, confirmations, audited execution' },
  ]
}

const PROTOCOL_ERROR_CODES: Partial<Record<ProtocolError['kind'], ApiError['code']>> = {
  not_found: 'not_found',
  not_allowed: 'conflict',
  timeout: 'unavailable',
  closed: 'unavailable',
  remote: 'conflict',
}

/** A heartbeat for the orchestrator: live figures, and which replicas the agent says it runs. */
function agentHeartbeat(b: { agentId: string; load: number; rttMs: number; state: unknown }): AgentHeartbeat {
  const replicas = (b.state as { replicas?: unknown } | null)?.replicas
  return { agentId: b.agentId, load: b.load, rttMs: b.rttMs, ...(replicas && typeof replicas === 'object' ? { replicas: Object.keys(replicas) } : {}) }
}

/** An agent as the orchestrator sees it: a device whose id is the agent id. */
function agentInfo(a: ConnectedAgent): AgentInfo {
  const c = a.capabilities
  return {
    agentId: a.agentId,
    name: a.name,
    capabilities: { region: c.region, lat: c.lat ?? 0, lon: c.lon ?? 0, cpu: c.cpu, memoryMb: c.memoryMb, gpus: c.gpus, bandwidthMbps: c.bandwidthMbps ?? 1000, costPerHour: c.costPerHour ?? 0, tier: 'edge' },
  }
}

const WASM_ERROR_CODES: Record<WasmError['kind'], ApiError['code']> = {
  bad_module: 'bad_request',
  import: 'bad_request',
  limit: 'conflict',
  memory: 'bad_request',
  stack: 'bad_request',
  timeout: 'bad_request',
  trap: 'bad_request',
  not_found: 'not_found',
  bad_request: 'bad_request',
  unavailable: 'unavailable',
}

function translate(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof BackupError) return new ApiError(err.kind, err.message)
  if (err instanceof TerminalNotFoundError) return new ApiError('not_found', err.message)
  if (err instanceof AuditInputError || err instanceof ProofError || err instanceof BundleError) return new ApiError('bad_request', err.message)
  if (err instanceof AuditWriteError) return new ApiError('unavailable', err.message)
  if (err instanceof WasmError) return new ApiError(WASM_ERROR_CODES[err.kind], err.message)
  if (err instanceof ReleaseError) return new ApiError(err.kind, err.message)
  if (err instanceof OrchestratorError) return new ApiError(err.kind, err.message)
  if (err instanceof NoFitError) return new ApiError('conflict', err.message)
  if (err instanceof IntentError) return new ApiError(err.kind, err.message, undefined, err.retryAfterSeconds)
  if (err instanceof ProtocolError) return new ApiError(PROTOCOL_ERROR_CODES[err.kind] ?? 'bad_request', err.message)
  if (err instanceof RangeError) return new ApiError('not_found', err.message)
  return new ApiError('internal', err instanceof Error ? err.message : String(err))
}

/** Schema version per engine that this build knows, without opening a database (restore into a damaged folder). */
export function knownSchema(): Record<string, number> {
  return { store: STORE_MIGRATIONS.length, audit: AUDIT_MIGRATIONS.length, release: RELEASE_MIGRATIONS.length, orchestrator: ORCHESTRATOR_MIGRATIONS.length, protocol: PROTOCOL_MIGRATIONS.length, wasm: WASM_MIGRATIONS.length }
}

/**
 * Refuse a call whose feature flag is off for this user, naming the flag, the reason and the way back.
 * Every shell's path to a flagged feature goes through here (the CLI's `dwcp wasm run` too).
 */
export function requireFeature(release: ReleaseManager, flag: string, user?: string): void {
  const verdict = release.evaluate(flag, user)
  if (!verdict.enabled) throw new ApiError('unavailable', `this feature is turned off: flag ${flag} is off${user ? ` for ${user}` : ''} (${verdict.reason}); \`dwcp flags set ${flag} --enabled true\` turns it on`)
}
