/**
 * `dwcp flags|adopters|feedback|release|rollback|rollforward`: the release manager from the command
 * line. Every command is a call of the contract, so it is validated and audited like the UI's.
 */
import { Command, CommanderError } from 'commander'
import type { AlphaStatus, FeedbackItem } from '../api/contract'
import { call, printJson, withHost } from './shared'

const usage = (message: string) => new CommanderError(2, 'dwcp.usage', message)

function parseBool(flag: string) {
  return (value: string): boolean => {
    if (value === 'true') return true
    if (value === 'false') return false
    throw usage(`${flag} takes true or false, not "${value}"`)
  }
}

function parsePercent(value: string): number {
  const n = Number(value.replace(/%$/, ''))
  if (!Number.isInteger(n) || n < 0 || n > 100) throw usage(`--rollout takes a whole percentage 0–100, not "${value}"`)
  return n
}

function parseList(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter(Boolean)
}

function parseInteger(what: string) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n <= 0) throw usage(`${what} is a positive whole number, not "${value}"`)
    return n
  }
}

const out = (line: string): void => void process.stdout.write(`${line}\n`)

export function registerReleaseCommands(program: Command): void {
  registerFlagCommands(program)
  registerAdopterCommands(program)
  registerFeedbackCommands(program)

  const release = program.command('release').description('the alpha program’s status, environment and telemetry')
  release
    .command('status')
    .description('readiness score with its breakdown, adopters, feedback clocks, telemetry, protocol pin')
    .option('--json', 'one JSON object')
    .action((opts: { json?: boolean }) =>
      withHost(async (host) => {
        const status = await call(host, 'release.status', {})
        if (opts.json) return printJson(status)
        printStatus(status)
      }),
    )
  release
    .command('env <environment>')
    .description('set which environment this installation is: alpha, beta or production')
    .action((environment: string) =>
      withHost(async (host) => {
        if (!['alpha', 'beta', 'production'].includes(environment)) throw usage(`environment is alpha, beta or production, not "${environment}"`)
        const result = await call(host, 'release.environment.set', { environment: environment as 'alpha' })
        out(`environment: ${result.environment}`)
      }),
    )
  release
    .command('telemetry <choice>')
    .description('opt-out (deletes what was stored, stores nothing more) or opt-in')
    .action((choice: string) =>
      withHost(async (host) => {
        if (choice !== 'opt-out' && choice !== 'opt-in') throw usage(`telemetry takes opt-out or opt-in, not "${choice}"`)
        const result = await call(host, 'release.telemetry.optOut', { optOut: choice === 'opt-out' })
        out(result.optedOut ? `telemetry off: nothing is stored; ${result.deleted} stored events deleted` : 'telemetry on')
      }),
    )

  program
    .command('rollback <version>')
    .description('roll back to protocol v3: verified backup, v4-only flags off, protocol pinned to v3 with every agent')
    .option('--json', 'the record as JSON')
    .action((version: string, opts: { json?: boolean }) =>
      withHost(async (host) => {
        if (version !== 'v3') throw usage(`only \`dwcp rollback v3\` exists, not "${version}"`)
        const record = await call(host, 'release.rollbackToV3', {})
        if (opts.json) return printJson(record)
        out(`rolled back to v3 (record #${record.id})`)
        out(`  backup (verified)  ${record.backupFile}`)
        out(`  flags turned off   ${record.flagsTurnedOff.join(', ') || 'none were on'}`)
        out(`  agents             ${describeAgents(record.agents)}`)
        out('`dwcp rollforward v4` undoes it.')
      }),
    )
  program
    .command('rollforward <version>')
    .description('undo the last rollback from its record')
    .option('--json', 'the record as JSON')
    .action((version: string, opts: { json?: boolean }) =>
      withHost(async (host) => {
        if (version !== 'v4') throw usage(`only \`dwcp rollforward v4\` exists, not "${version}"`)
        const record = await call(host, 'release.rollforwardToV4', {})
        if (opts.json) return printJson(record)
        out(`rolled forward to v4 (undid record #${record.id})`)
        out(`  flags turned on    ${record.flagsTurnedOn.join(', ') || 'none'}`)
        out(`  agents             ${describeAgents(record.agents)}`)
      }),
    )
}

function describeAgents(agents: { agent: string; version: string; ok: boolean }[]): string {
  if (agents.length === 0) return 'none connected'
  return agents.map((a) => `${a.agent} ${a.ok ? a.version : 'FAILED'}`).join(', ')
}

function registerFlagCommands(program: Command): void {
  const flags = program.command('flags').description('feature flags: list, set, evaluate')
  flags
    .command('list')
    .description('every flag with its state')
    .option('--json', 'one JSON array')
    .action((opts: { json?: boolean }) =>
      withHost(async (host) => {
        const list = await call(host, 'release.flags.list', {})
        if (opts.json) return printJson(list)
        for (const f of list) {
          const extras = [
            f.environments.length ? `env ${f.environments.join(',')}` : '',
            f.users.length ? `${f.users.length} users` : '',
            f.dependencies.length ? `needs ${f.dependencies.join(',')}` : '',
            f.expiresAt ? `expires ${f.expiresAt}` : '',
            f.v4Only ? 'v4-only' : '',
          ].filter(Boolean)
          out(`${f.name.padEnd(24)} ${(f.enabled ? 'on ' : 'off').padEnd(4)} ${String(f.rollout).padStart(3)}%  ${extras.join('  ')}`)
        }
      }),
    )
  flags
    .command('set <name>')
    .description('create the flag if it does not exist, or change the given fields')
    .option('--enabled <bool>', 'true or false', parseBool('--enabled'))
    .option('--rollout <pct>', 'share of users, 0–100', parsePercent)
    .option('--users <list>', 'comma-separated users it is always on for', parseList)
    .option('--env <list>', 'comma-separated environments it may be on in (alpha,beta,production)', parseList)
    .option('--depends <list>', 'comma-separated flags that must be on too', parseList)
    .option('--expires <iso>', 'turn it off at this time (ISO 8601); "never" removes the expiry')
    .option('--description <text>', 'what the flag controls')
    .option('--json', 'the result as JSON')
    .action((name: string, opts: { enabled?: boolean; rollout?: number; users?: string[]; env?: string[]; depends?: string[]; expires?: string; description?: string; json?: boolean }) =>
      withHost(async (host) => {
        const result = await call(host, 'release.flags.set', {
          name,
          ...(opts.enabled !== undefined ? { enabled: opts.enabled } : {}),
          ...(opts.rollout !== undefined ? { rollout: opts.rollout } : {}),
          ...(opts.users ? { users: opts.users } : {}),
          ...(opts.env ? { environments: opts.env as ('alpha' | 'beta' | 'production')[] } : {}),
          ...(opts.depends ? { dependencies: opts.depends } : {}),
          ...(opts.expires !== undefined ? { expiresAt: opts.expires === 'never' ? null : opts.expires } : {}),
          ...(opts.description !== undefined ? { description: opts.description } : {}),
        })
        if (opts.json) return printJson(result)
        const f = result.flag
        out(`${result.created ? 'created' : 'updated'} ${f.name}: ${f.enabled ? 'on' : 'off'}, rollout ${f.rollout}%${f.environments.length ? `, env ${f.environments.join(',')}` : ''}${f.users.length ? `, users ${f.users.join(',')}` : ''}${f.expiresAt ? `, expires ${f.expiresAt}` : ''}`)
      }),
    )
  flags
    .command('delete <name>')
    .description('delete a flag no other flag depends on')
    .action((name: string) => withHost(async (host) => void out(`deleted ${(await call(host, 'release.flags.delete', { name })).name}`)))
  flags
    .command('eval <name> <users...>')
    .description('whether the flag is on for each user, and why')
    .option('--json', 'one JSON line per user: user, enabled, reason')
    .action((name: string, users: string[], opts: { json?: boolean }) =>
      withHost(async (host) => {
        const results = await call(host, 'release.flags.evaluate', { name, users })
        for (const r of results) {
          if (opts.json) printJson({ user: r.user, enabled: r.enabled, reason: r.reason })
          else out(`${String(r.user).padEnd(24)} ${r.enabled ? 'on ' : 'off'}  ${r.reason}`)
        }
      }),
    )
}

function registerAdopterCommands(program: Command): void {
  const adopters = program.command('adopters').description('the early-adopter program: applications, decisions, invitations')
  adopters
    .command('list')
    .option('--status <status>', 'pending, approved, rejected or waitlisted')
    .option('--json', 'one JSON array')
    .action((opts: { status?: string; json?: boolean }) =>
      withHost(async (host) => {
        const list = await call(host, 'release.adopters.list', opts.status ? { status: opts.status as 'pending' } : {})
        if (opts.json) return printJson(list)
        if (list.length === 0) return out('no applications yet')
        for (const a of list) out(`${a.id}  ${a.status.padEnd(10)} ${a.accessLevel.padEnd(12)} rep ${String(a.reputation).padStart(3)}  ${a.name} <${a.email}>${a.organization ? `, ${a.organization}` : ''}`)
      }),
    )
  adopters
    .command('register')
    .description('apply to the program (an invitation code approves at its level)')
    .requiredOption('--name <name>', 'who applies')
    .requiredOption('--email <email>', 'how to reach them')
    .option('--org <organization>')
    .option('--use-case <text>')
    .option('--code <invitation>', 'an invitation code')
    .option('--json')
    .action((opts: { name: string; email: string; org?: string; useCase?: string; code?: string; json?: boolean }) =>
      withHost(async (host) => {
        const a = await call(host, 'release.adopters.register', {
          name: opts.name,
          email: opts.email,
          ...(opts.org ? { organization: opts.org } : {}),
          ...(opts.useCase ? { useCase: opts.useCase } : {}),
          ...(opts.code ? { invitationCode: opts.code } : {}),
        })
        if (opts.json) return printJson(a)
        out(`${a.id}: ${a.status} (${a.accessLevel} access)`)
      }),
    )
  for (const decision of ['approve', 'reject'] as const) {
    const command = adopters
      .command(`${decision} <id>`)
      .description(decision === 'approve' ? 'approve (waitlisted when the program is full); also changes an approved adopter’s level' : 'reject or remove; a freed place goes to the first on the waitlist')
    if (decision === 'approve') command.option('--level <level>', 'basic, advanced, full or experimental')
    command.action((id: string, opts: { level?: string }) =>
      withHost(async (host) => {
        const r = await call(host, 'release.adopters.decide', { id, decision, ...(opts.level ? { accessLevel: opts.level as 'basic' } : {}) })
        out(`${r.adopter.id}: ${r.adopter.status} (${r.adopter.accessLevel} access)${r.adopter.status === 'waitlisted' ? ' — the program is full' : ''}`)
        if (r.promoted) out(`${r.promoted.id}: approved from the waitlist`)
      }),
    )
  }
  adopters
    .command('invite')
    .description('make a single-use invitation code; it is shown once')
    .requiredOption('--level <level>', 'basic, advanced, full or experimental')
    .option('--days <n>', 'valid for this many days', parseInteger('--days'), 14)
    .action((opts: { level: string; days: number }) =>
      withHost(async (host) => {
        const inv = await call(host, 'release.adopters.invite', { accessLevel: opts.level as 'basic', days: opts.days })
        out(inv.code)
        process.stderr.write(`${inv.accessLevel} access, single use, valid until ${inv.expiresAt}. It is not stored: copy it now.\n`)
      }),
    )
}

function registerFeedbackCommands(program: Command): void {
  const feedback = program.command('feedback').description('the feedback queue and its response clocks')
  feedback
    .command('list')
    .option('--overdue', 'only items past a response clock')
    .option('--status <status>', 'open, responded or resolved')
    .option('--json', 'one JSON array')
    .action((opts: { overdue?: boolean; status?: string; json?: boolean }) =>
      withHost(async (host) => {
        const items = await call(host, 'release.feedback.list', { ...(opts.status ? { status: opts.status as 'open' } : {}), ...(opts.overdue ? { overdue: true } : {}) })
        if (opts.json) return printJson(items)
        if (items.length === 0) return out('no feedback')
        for (const i of items) out(formatFeedback(i))
      }),
    )
  feedback
    .command('submit')
    .requiredOption('--type <type>', 'bug, feature, improvement or question')
    .requiredOption('--severity <severity>', 'low, medium, high or critical')
    .requiredOption('--category <category>')
    .requiredOption('--title <title>')
    .option('--description <text>', 'what happened, how to see it', '')
    .option('--adopter <id>', 'the adopter reporting it')
    .option('--json')
    .action((opts: { type: string; severity: string; category: string; title: string; description: string; adopter?: string; json?: boolean }) =>
      withHost(async (host) => {
        const item = await call(host, 'release.feedback.submit', {
          type: opts.type as 'bug',
          severity: opts.severity as 'low',
          category: opts.category,
          title: opts.title,
          description: opts.description,
          ...(opts.adopter ? { adopterId: opts.adopter } : {}),
        })
        if (opts.json) return printJson(item)
        out(formatFeedback(item))
      }),
    )
  feedback
    .command('respond <id> <response>')
    .description('answer; the first answer stops the 24 h clock')
    .action((id: string, response: string) => withHost(async (host) => void out(formatFeedback(await call(host, 'release.feedback.respond', { id: parseInteger('id')(id), response })))))
  feedback
    .command('resolve <id> <resolution>')
    .description('fixed, accepted, answered, duplicate, invalid or wontfix (earns or costs the reporter reputation)')
    .option('--response <text>')
    .action((id: string, resolution: string, opts: { response?: string }) =>
      withHost(async (host) => {
        const r = await call(host, 'release.feedback.resolve', { id: parseInteger('id')(id), resolution: resolution as 'fixed', ...(opts.response ? { response: opts.response } : {}) })
        out(`${formatFeedback(r.item)}  (reputation ${r.reputation >= 0 ? '+' : ''}${r.reputation})`)
      }),
    )
}

function clockText(label: string, clock: FeedbackItem['firstResponse'] | null): string {
  if (!clock) return ''
  if (clock.state === 'met' || clock.state === 'late') return `${label} ${clock.state}`
  const hours = Math.abs(clock.remainingMs ?? 0) / 3_600_000
  return clock.state === 'overdue' ? `${label} OVERDUE by ${hours.toFixed(1)} h` : `${label} due in ${hours.toFixed(1)} h`
}

function formatFeedback(i: FeedbackItem): string {
  const clocks = [clockText('response', i.firstResponse), clockText('fix', i.criticalFix)].filter(Boolean).join(', ')
  return `#${String(i.id).padEnd(4)} ${i.status.padEnd(9)} ${i.type}/${i.severity.padEnd(8)} ${i.title}  [${clocks}]${i.resolution ? ` ${i.resolution}` : ''}`
}

function printStatus(s: AlphaStatus): void {
  const r = s.readiness
  out(`readiness ${r.score}/100 — ${r.recommendedForProduction ? 'recommended for production' : `not recommended for production (needs ${r.threshold})`}`)
  for (const p of r.parts) out(`  ${p.label.padEnd(28)} ${String(p.points).padStart(5)} / ${p.weight}   ${p.detail}`)
  for (const b of r.benchmarks) out(`    ${b.met ? 'met   ' : 'missed'} ${b.bench}.${b.key} = ${b.value} (goal ${b.goal})`)
  out(`environment ${s.environment}; protocol ${s.protocol.rolledBack ? `pinned to ${s.protocol.pinned} (rolled back)` : 'negotiated (v4 preferred)'}${s.protocol.protocolPeer ? '' : '; no protocol peer in this process'}`)
  out(`adopters ${s.adopters.approved}/${s.adopters.capacity} approved, ${s.adopters.pending} pending, ${s.adopters.waitlisted} waitlisted`)
  out(`feedback ${s.feedback.open} open, ${s.feedback.overdue} overdue, ${s.feedback.openCriticalBugs} open critical bugs`)
  out(`telemetry ${s.telemetry.optedOut ? 'opted out (nothing stored)' : `${s.telemetry.rows} events kept ${s.telemetry.retentionDays} days`}`)
  out('flags:')
  for (const f of s.flags) out(`  ${f.name.padEnd(24)} ${f.enabled ? 'on ' : 'off'} ${String(f.rollout).padStart(3)}%  ${f.effective}`)
}
