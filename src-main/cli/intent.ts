/**
 * `dwcp intent parse` and `dwcp intent eval`: the intent engine from the command line. Parsing goes
 * through the contract (and the audit log); evaluation is a pure run of the recogniser over a file.
 */
import { Command, CommanderError } from 'commander'
import type { ExecutionReportView, IntentView } from '../api/contract'
import type { CallContext } from '../api/dispatch'
import type { Host } from '../host'
import { evaluate, IntentError, parseOffline, readLabelled } from '../intent'
import { InputFileError } from '../input-file'
import { call, printJson, withHost } from './shared'

const out = (line: string): void => void process.stdout.write(`${line}\n`)

export function registerIntentCommands(program: Command): void {
  const intent = program.command('intent').description('requests in words → typed, safety-rated intents')
  intent
    .command('parse <text...>')
    .description('show how a request is understood: type, safety, parameters, plan and the dwcp commands (nothing runs)')
    .option('--offline', 'use the offline parser even when Claude is configured')
    .option('--json', 'one JSON line: type, safety, confidence, parameters, requiresConfirmation, commands, …')
    .action((words: string[], o: { offline?: boolean; json?: boolean }) =>
      withHost(async (host) => {
        const r = await call(host, 'intent.parse', { text: words.join(' '), ...(o.offline ? { offline: true } : {}) })
        if (o.json) return printJson(r)
        describeIntent(r, out)
        if (r.requiresConfirmation) out(r.safety === 'critical' ? `needs confirmation: type “${r.confirmName}”` : 'needs confirmation')
      }),
    )
  intent
    .command('eval <file>')
    .description('score the parser on a labelled JSONL file ({"text", "type", "safety", optional "replicas", "memoryMB", "cpu", "region", "version"} per line)')
    .option('--offline', 'the offline parser (the only one that runs without a key)')
    .option('--json', 'one JSON line: n, type_accuracy, safety_accuracy, param_accuracy, per_type, misses')
    .action((file: string, o: { offline?: boolean; json?: boolean }) => {
      let set
      try {
        set = readLabelled(file)
      } catch (err) {
        if (err instanceof InputFileError || err instanceof IntentError) throw new CommanderError(2, 'dwcp.usage', err.message)
        throw err
      }
      const report = evaluate(set, (t) => parseOffline(t))
      if (o.json) return printJson(report)
      out(`${report.n} requests: type ${(report.type_accuracy * 100).toFixed(1)} %, safety ${(report.safety_accuracy * 100).toFixed(1)} %, parameters ${(report.param_accuracy * 100).toFixed(1)} %`)
      for (const [type, r] of Object.entries(report.per_type)) out(`  ${type.padEnd(9)} ${String(r.n).padStart(4)}  type ${(r.type_accuracy * 100).toFixed(0)} %  safety ${(r.safety_accuracy * 100).toFixed(0)} %`)
      for (const m of report.misses.slice(0, 20)) out(`  miss: ${m.text}  expected ${JSON.stringify(m.expected)} got ${JSON.stringify(m.got)}`)
    })
}

function describeIntent(r: IntentView, say: (line: string) => void): void {
  say(`${r.type} · ${r.safety} (${r.safetyReason}) · confidence ${r.confidence} · by the ${r.recogniser === 'claude' ? 'Claude' : 'offline'} parser`)
  if (r.fallbackReason) say(r.fallbackReason)
  if (r.disagreement) say(r.disagreement)
  const params = Object.entries(r.parameters).map(([k, v]) => `${k}=${String(v)}`)
  if (params.length) say(`parameters: ${params.join(' ')}`)
  for (const [i, s] of r.plan.entries()) say(`${i + 1}. ${s.description}${s.readOnly ? ' (read-only)' : ''}`)
  for (const c of r.commands) say(`$ ${c}`)
}

/**
 * Answers typed on the terminal (or piped in), one line per question. Questions go to stderr so
 * `--json` output on stdout stays one clean line.
 */
function terminalQuestions(): { ask(question: string): Promise<string | null>; close(): void } {
  const lines: string[] = []
  const waiting: ((line: string | null) => void)[] = []
  let buffer = ''
  let ended = false
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('utf8')
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i).replace(/\r$/, '')
      buffer = buffer.slice(i + 1)
      const next = waiting.shift()
      if (next) next(line)
      else lines.push(line)
    }
  }
  const onEnd = () => {
    ended = true
    if (buffer) (waiting.shift() ?? ((l: string | null) => lines.push(l ?? '')))(buffer)
    buffer = ''
    for (const w of waiting.splice(0)) w(null)
  }
  let listening = false
  return {
    ask(question) {
      process.stderr.write(question)
      if (!listening) {
        listening = true
        process.stdin.on('data', onData).on('end', onEnd)
      }
      if (lines.length) return Promise.resolve(lines.shift()!)
      if (ended) return Promise.resolve(null)
      return new Promise((resolve) => waiting.push(resolve))
    },
    close() {
      process.stdin.off('data', onData).off('end', onEnd)
      process.stdin.pause()
    },
  }
}

const yes = (answer: string | null) => answer !== null && /^(y|yes)$/i.test(answer.trim())

export function registerLlmCommands(program: Command): void {
  const llm = program.command('llm').description('chat-driven operations from the terminal')
  llm
    .command('execute <text...>')
    .description('understand a request, show the plan, ask for confirmation where it can hurt, and carry it out (every step audited)')
    .option('--yes', 'answer yes to caution and dangerous confirmations (never to critical ones: those need the name typed)')
    .option('--dry-run', 'show what would happen and change nothing')
    .option('--offline', 'use the offline parser even when Claude is configured')
    .option('--backup', 'allow a backup to be taken first when destroy, restore or migrate needs one')
    .option('--override <n>', 'more replicas than the limit: the replica count, typed again')
    .option('--json', 'print the execution report as one JSON line')
    .action((words: string[], o: { yes?: boolean; dryRun?: boolean; offline?: boolean; backup?: boolean; override?: string; json?: boolean }) =>
      withHost(async (host) => {
        const say = (line: string) => void (o.json ? process.stderr : process.stdout).write(`${line}\n`)
        const intent = await call(host, 'intent.parse', { text: words.join(' '), ...(o.offline ? { offline: true } : {}) })
        describeIntent(intent, say)
        const preview = await call(host, 'intent.execute', { intentId: intent.id, dryRun: true })
        if (o.dryRun) return finish(preview, say, o.json)
        const questions = terminalQuestions()
        try {
          const answers = await confirmOnTerminal(intent, preview, o, questions.ask)
          const report = await runWithProgress(host, { intentId: intent.id, ...answers }, say)
          finish(report, say, o.json)
        } finally {
          questions.close()
        }
      }),
    )
}

type Answers = { confirmation: { confirmed?: boolean; typedName?: string; declined?: boolean }; consentBackup?: boolean; override?: string }

async function confirmOnTerminal(intent: IntentView, preview: ExecutionReportView, o: { yes?: boolean; backup?: boolean; override?: string }, ask: (q: string) => Promise<string | null>): Promise<Answers> {
  const declined: Answers = { confirmation: { declined: true } }
  const failing = (name: string) => preview.guardrails.find((g) => g.name === name && !g.ok)
  const answers: Answers = { confirmation: {} }
  const size = failing('size')
  if (size) {
    // Past the hard maximum nothing typed helps: no questions, and the engine says why it refuses.
    if (!size.overridable) return { ...answers, confirmation: { confirmed: true } }
    answers.override = o.override ?? (await ask(`${size.detail}: `))?.trim() ?? ''
  }
  const backup = failing('backup')
  if (backup) {
    if (!(o.backup || o.yes || yes(await ask(`${backup.detail.split(';')[0]}. Take a backup first? [y/N] `)))) return declined
    answers.consentBackup = true
  }
  if (!intent.requiresConfirmation) return answers
  if (intent.safety === 'critical') {
    // --yes never answers this one: the name is typed by a person.
    const typed = await ask(`This is critical. Type “${intent.confirmName}” to go ahead (anything else declines): `)
    return typed !== null && typed.trim() === intent.confirmName ? { ...answers, confirmation: { typedName: typed.trim() } } : declined
  }
  if (o.yes || yes(await ask(`${intent.safety}: go ahead? [y/N] `))) return { ...answers, confirmation: { confirmed: true } }
  return declined
}

async function runWithProgress(host: Host, input: { intentId: string } & Answers, say: (line: string) => void): Promise<ExecutionReportView> {
  const ctx: CallContext = {
    clientId: 'cli',
    transport: 'cli',
    emit: (event, data) => {
      if (event !== 'intent:progress') return
      const p = data as { index: number; total: number; step: { description: string; state: string; detail?: string } }
      if (p.step.state !== 'running') say(`[${p.index + 1}/${p.total}] ${p.step.state === 'done' ? 'done' : 'FAILED'}: ${p.step.description}${p.step.detail ? ` — ${p.step.detail}` : ''}`)
    },
  }
  return (await host.call('intent.execute', input, ctx)) as ExecutionReportView
}

function finish(report: ExecutionReportView, say: (line: string) => void, json?: boolean): void {
  if (report.status === 'dry-run') {
    for (const g of report.guardrails) say(`${g.ok ? 'ok' : 'needs'}: ${g.detail}`)
    for (const [i, s] of report.steps.entries()) say(`would run ${i + 1}. ${s.description} (${s.method} ${JSON.stringify(s.input)})`)
  }
  say(report.message)
  if (json) printJson(report)
  if (report.status === 'failed' || report.status === 'declined') process.exitCode = 1
}
