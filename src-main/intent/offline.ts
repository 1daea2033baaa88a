/**
 * The offline recogniser: deterministic, no network, no key. Words are matched against a lexicon of
 * verbs and phrases per intent type (with one typo forgiven in longer words), the type is chosen by
 * precedence of what the request would change (destructive before mutating before read-only, so
 * "it's just a query: remove checkout" is a destroy), and parameters are read by patterns for
 * counts, sizes, cores, regions, versions and names.
 */
import type { ConversationContext, IntentParameters, IntentType, Recognised } from './types'

// ---------------------------------------------------------------------------------------------
// Words

interface Token {
  text: string
  /** Index in the token list. */
  at: number
}

/** Lower case, quotes straightened, punctuation apart from what names and numbers use. */
function tokenize(text: string): Token[] {
  const normal = text
    .toLowerCase()
    .replace(/[\u2018\u2019\u201b]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[^a-z0-9.'\-_:/#= ]+/g, ' ')
  return normal
    .split(/\s+/)
    .map((t) => t.replace(/^[.'\-:/#=]+|[.'\-:/#=]+$/g, ''))
    .filter(Boolean)
    .map((text, at) => ({ text, at }))
}

/** Damerau–Levenshtein distance ≤ 1 (one insertion, deletion, substitution or swap of neighbours). */
function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true
  const la = a.length
  const lb = b.length
  if (Math.abs(la - lb) > 1) return false
  let i = 0
  while (i < la && i < lb && a[i] === b[i]) i++
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2) // swap
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1)
}

/** Real words one edit away from a verb of the lexicon: never read as typos of it. */
const NOT_TYPOS = new Set(['remote', 'stale', 'state', 'scaled', 'deploys', 'updater', 'restored', 'monitors', 'nuked', 'kills', 'killed', 'rolled', 'moved', 'mover', 'moves', 'latest', 'lister', 'backed', 'wiper', 'dropped', 'stop', 'sale', 'scare', 'scary', 'delta', 'reboot', 'removal', 'shows', 'showed'])

/** Inflected forms read as their stem: "rolling" → "roll", "scaled" → "scale", "deploys" → "deploy". */
function stems(token: string): string[] {
  const forms = [token]
  const ing = /^(.{2,}?)(.)\2?ing$/.exec(token)
  if (ing) forms.push(ing[1]! + ing[2]!, `${ing[1]!}${ing[2]!}e`)
  const ed = /^(.{2,}?)(.)\2?ed$/.exec(token)
  if (ed) forms.push(ed[1]! + ed[2]!, `${ed[1]!}${ed[2]!}e`, token.slice(0, -1))
  if (/[^s]s$/.test(token)) forms.push(token.slice(0, -1))
  return forms
}

/**
 * Does the token match a lexicon word, exactly (or as one of its inflected forms, `stems(token)`), or
 * within one typo for words of 5+ letters? A typo keeps the first letter: "batch" and "watch" are not "patch".
 */
function matches(token: string, forms: readonly string[], word: string): 'exact' | 'typo' | null {
  if (forms.includes(word)) return 'exact'
  if (word.length >= 5 && token.length >= 5 && token[0] === word[0] && !NOT_TYPOS.has(token) && withinOneEdit(token, word)) return 'typo'
  return null
}

// ---------------------------------------------------------------------------------------------
// Lexicon: single words and phrases that signal each type

const LEXICON: Record<IntentType, { words: string[]; phrases: string[] }> = {
  destroy: {
    words: ['destroy', 'delete', 'remove', 'teardown', 'terminate', 'decommission', 'nuke', 'kill', 'erase', 'purge', 'uninstall', 'wipe', 'drop', 'obliterate', 'scrap', 'trash', 'undeploy', 'deprovision', 'dismantle', 'eliminate', 'retire', 'sunset', 'axe', 'zap'],
    phrases: ['tear down', 'tear it down', 'take down', 'shut down', 'shut it down', 'get rid of', 'do away with', 'blow away', 'wipe out', 'clean up', 'burn down', 'turn off', 'bring down'],
  },
  rollback: {
    words: ['rollback', 'revert', 'downgrade', 'undo', 'reverse'],
    phrases: ['roll back', 'roll it back', 'roll everything back', 'roll them back', 'go back', 'step back', 'back to v3', 'back to the previous', 'back to previous', 'previous version', 'previous release', 'last known good', 'back out'],
  },
  restore: {
    words: ['restore', 'recover', 'reinstate'],
    phrases: ['from backup', 'from the backup', 'from a backup', 'from snapshot', 'from the snapshot', 'from a snapshot', 'from the last backup', "from yesterday's backup"],
  },
  migrate: {
    words: ['migrate', 'move', 'relocate', 'transfer', 'shift', 'evacuate', 'rehome', 'failover', 'drain'],
    phrases: ['move over', 'fail over'],
  },
  update: {
    words: ['update', 'upgrade', 'patch', 'redeploy', 'bump', 'push'],
    phrases: ['new version', 'to version', 'to v', 'roll out v', 'rollout v', 'set the version', 'change the version', 'change version', 'set version', 'switch to v'],
  },
  scale: {
    words: ['scale', 'resize', 'shrink', 'grow', 'autoscale', 'upscale', 'downscale', 'expand', 'trim'],
    phrases: ['scale up', 'scale down', 'scale out', 'scale in', 'more replicas', 'fewer replicas', 'less replicas', 'more instances', 'fewer instances', 'add replicas', 'add instances', 'set replicas', 'replicas to', 'instances to', 'increase', 'decrease', 'reduce replicas', 'cut replicas', 'double', 'halve'],
  },
  deploy: {
    words: ['deploy', 'launch', 'provision', 'create', 'start', 'run', 'install', 'spawn', 'host', 'ship', 'boot', 'instantiate', 'rollout'],
    phrases: ['spin up', 'spin-up', 'stand up', 'stood up', 'bring up', 'bring online', 'set up', 'fire up', 'roll out', 'put up', 'start up', 'kick off', 'new deployment'],
  },
  backup: {
    words: ['backup', 'snapshot', 'checkpoint', 'archive', 'dump', 'preserve'],
    phrases: ['back up', 'back-up', 'take a backup', 'make a backup', 'create a backup', 'save the state', 'save a copy', 'save state', 'dump the database'],
  },
  optimize: {
    words: ['optimize', 'optimise', 'rebalance', 'balance', 'cheaper', 'tune', 'optimization', 'optimisation', 'consolidate', 'defragment', 'compact', 'repack', 'pack', 'evenly', 'minimize', 'minimise', 'bill', 'efficiency', 'efficient', 'rightsize', 'right-size', 'shuffle', 'spend'],
    phrases: ['reduce cost', 'reduce costs', 'cut cost', 'cut costs', 'lower cost', 'lower the cost', 'save money', 'improve placement', 'better placement', 'spread out', 'even out', 'more efficient', 'less expensive', 'cost down', 'costs down', 'make it faster', 'reduce latency', 'lower latency', 'improve latency'],
  },
  diagnose: {
    words: ['diagnose', 'troubleshoot', 'debug', 'investigate', 'analyze', 'analyse', 'causing', 'failures', 'dropping', 'timeouts', 'why', 'wrong', 'failing', 'broken', 'crashing', 'crash', 'crashed', 'failed', 'unhealthy', 'degraded', 'erroring', 'errors', 'error', 'problem', 'problems', 'issue', 'issues', 'flapping', 'slow', 'stuck', 'down', 'diagnostics', 'diagnosis', 'rca', 'sick', 'unstable', 'misbehaving', 'restarting', 'looping'],
    phrases: ['root cause', "what's wrong", 'what is wrong', 'what went wrong', 'figure out', 'look into', 'take a look', 'check why', 'health check', 'not responding', 'not working', 'going on with'],
  },
  monitor: {
    words: ['monitor', 'watch', 'track', 'observe', 'follow', 'tail', 'alert', 'notify', 'stream', 'graph', 'graphs', 'dashboard'],
    phrases: ['keep an eye', 'keep watch', 'keep tabs', 'for the next', 'over the next', 'let me know', 'tell me when', 'ping me', 'live metrics', 'in real time', 'real-time'],
  },
  query: {
    words: ['list', 'show', 'get', 'what', 'which', 'how', 'display', 'describe', 'count', 'status', 'where', 'when', 'tell', 'view', 'print', 'find', 'check', 'inventory', 'overview', 'summary', 'summarize', 'report', 'see', 'info', 'details', 'is', 'are', 'does', 'do', 'many'],
    phrases: ['how many', 'what is', "what's", 'show me', 'tell me', 'give me a list', 'is there', 'are there', 'look at', 'let me see'],
  },
}

/**
 * When several types are signalled, the one whose effect is hardest to undo wins: a request that
 * asks to destroy is a destroy whatever else it says. Read-only types come last.
 */
const PRECEDENCE: IntentType[] = ['destroy', 'rollback', 'restore', 'migrate', 'update', 'scale', 'backup', 'deploy', 'optimize', 'monitor', 'diagnose', 'query']

interface Signal {
  type: IntentType
  at: number
  strength: 'exact' | 'typo'
  word: string
  /** A hint that only counts when nothing stronger is said (a noun phrase, a pattern of words). */
  weak?: boolean
}

/** Words before which a verb of the lexicon is a noun ("after the update", "the rollout of web"). */
const DETERMINERS = new Set(['the', 'this', 'that', 'its', 'after', 'before', 'during', 'since', 'last', 'recent', 'any', 'each', 'every', 'my', 'our', 'their', 'his', 'her'])
/** …unless the noun is itself the action: "do a rollback", "take a backup". */
const ACTION_VERBS = new Set(['do', 'run', 'perform', 'take', 'make', 'trigger', 'start', 'initiate', 'execute', 'need', 'want', 'create', 'schedule', 'kick', 'get', 'grab', 'fire'])

function usedAsNoun(tokens: Token[], at: number): boolean {
  const before = tokens[at - 1]?.text
  if (before === undefined) return false
  if (DETERMINERS.has(before)) return !(before === 'the' && ACTION_VERBS.has(tokens[at - 2]?.text ?? ''))
  if (before === 'a' || before === 'an') return !ACTION_VERBS.has(tokens[at - 2]?.text ?? '')
  return false
}

/** "take a backup", "make a fresh snapshot": a backup to be taken, not one to go back to. */
const TAKES_BACKUP = /\b(?:take|make|create|grab|cut|save|capture)\w* (?:a |an |one |another |fresh |new |quick )*(?:full |manual |quick )?(?:backup|snapshot|restore point|checkpoint)\b/

/** Signals that need a pattern rather than a word or a fixed phrase. */
const PATTERNS: { type: IntentType; pattern: RegExp; weak?: boolean }[] = [
  { type: 'rollback', pattern: /\broll(?:ing)? (?:[a-z0-9_.-]+ ){1,3}back\b/ },
  { type: 'scale', pattern: /\b(?:make|set|reduce|increase|decrease|bring|change|adjust|go|drop|cut|raise|lower|put|want|need|keep|run|running|get|take|expand|trim|extend|hold|pin)\b[^.?!]*?\b(?:to |at )?(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve) (?:replicas?|instances?|copies|nodes?|pods?|workers?|servers?)\b/, weak: true },
  { type: 'scale', pattern: /\b(?:replicas?|instances?)\s*(?:to|=|:)\s*\d+\b/, weak: true },
  { type: 'deploy', pattern: /\b(?:give|get) (?:me|us) (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a couple|a few|a pair|a dozen)\b/ },
  { type: 'deploy', pattern: /\b(?:i'?d like|i want|we want|i need|we need|we'?d like|let's have|let us have)\s+(?:\d+|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few|a pair of|a dozen)\s/ },
  { type: 'deploy', pattern: /\b(?:get|have)\b[^.?!]*\bgoing\b/, weak: true },
  { type: 'deploy', pattern: /\bnew (?:deployment|service|workload)\b/ },
  { type: 'update', pattern: /\b(?:push|ship|roll|release|put)(?:ing)? v?\d+(?:\.\d+)+/ },
  { type: 'update', pattern: /\broll\w* (?:[a-z0-9_.-]+ ){0,3}forward\b/ },
  { type: 'update', pattern: /\b(?:change|set|switch|move|bring|take|put|upgrade|migrate)\w*\b[^.?!]*\b(?:to|onto) (?:(?:version|release|build) v?\d+(?:\.\d+)*|v\d+(?:\.\d+)*|\d+\.\d+(?:\.\d+)*)\b/ },
  { type: 'scale', pattern: /\b(?:(?:replica|instance|node|pod) count|number of (?:[a-z0-9_.-]+ )?(?:replicas|instances|nodes|pods|copies))\b[^.?!]*\bto \d+\b/ },
  { type: 'update', pattern: /\b(?:image|build|tag|version)\b[^.?!]*\b(?:to|for|=)\b/, weak: true },
  { type: 'update', pattern: /\bswap\b[^.?!]*\b(?:image|build|version|module)\b/ },
  { type: 'restore', pattern: /\b(?:roll|revert|load|apply|bring back|use|return|go back|rehydrate|reload|recover)\w*\b[^.?!]*\b(?:backup|snapshot|restore point)\b/ },
  { type: 'restore', pattern: /\b(?:bring|put|get|go|set)\w*\b(?: [a-z0-9'_.-]+){0,3} back\b[^.?!]*\b(?:backup|snapshot|restore point)\b/ },
  { type: 'backup', pattern: TAKES_BACKUP },
  { type: 'migrate', pattern: /\b(?:move|shift|relocate|transfer|evacuate|drain)\w*\b[^.?!]*\b(?:elsewhere|somewhere else|away|off|out)\b/ },
  { type: 'diagnose', pattern: /\bwhat'?s? (?:is )?(?:causing|making|going on|happening|up with|the matter|the problem|the issue|wrong)\b/ },
  { type: 'rollback', pattern: /\b(?:return|revert|reset|restore|take)\w* (?:[a-z0-9_.-]+ ){1,2}(?:to|back to) v?\d+(?:\.\d+)+\b/, weak: true },
  { type: 'monitor', pattern: /\blive (?:view|metrics|stats|graphs?|data|dashboard|cpu|memory|latency|traffic|logs?|feed|numbers|throughput|load)\b/ },
  { type: 'diagnose', pattern: /\b(?:high|spiking|increased|bad) (?:latency|error rates?|errors|cpu|memory|load)\b/, weak: true },
]

/** A phrase as a pattern whose first word may be inflected: "roll out" also finds "rolling out". */
function phrasePattern(phrase: string): RegExp {
  const [head, ...rest] = phrase.split(' ')
  const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const inflected = /e$/.test(head!) ? `${escape(head!.slice(0, -1))}(?:e|es|ed|ing)` : `${escape(head!)}(?:s|es|ed|ing|${escape(head!.slice(-1))}ed|${escape(head!.slice(-1))}ing)?`
  return new RegExp(`(?:^| )${[inflected, ...rest.map(escape)].join(' ')}(?= |$)`)
}

const PHRASES: { type: IntentType; phrase: string; pattern: RegExp }[] = PRECEDENCE.flatMap((type) => LEXICON[type].phrases.map((phrase) => ({ type, phrase, pattern: phrasePattern(phrase) })))

/** Types whose words are verbs of a change: used as a noun ("after the update") they signal nothing. */
const CHANGES: ReadonlySet<IntentType> = new Set(['destroy', 'rollback', 'restore', 'migrate', 'update', 'scale', 'backup', 'deploy'])

/** "is dropping packets", "keeps crashing": a description of a state, not an order. */
function describesState(tokens: Token[], at: number): boolean {
  return /ing$/.test(tokens[at]!.text) && /^(?:is|are|was|were|keeps|keep|kept|been|be|still|constantly|always|currently|it's|that's)$/.test(tokens[at - 1]?.text ?? '')
}

function signals(tokens: Token[], text: string): Signal[] {
  const found: Signal[] = []
  // Each token is compared with every word of the lexicon: its forms are worked out once, not per word.
  const forms = tokens.map((t) => stems(t.text))
  for (const type of PRECEDENCE) {
    for (const t of tokens) {
      for (const w of LEXICON[type].words) {
        const m = matches(t.text, forms[t.at], w)
        if (m) {
          if (CHANGES.has(type) && (usedAsNoun(tokens, t.at) || describesState(tokens, t.at))) break
          found.push({ type, at: t.at, strength: m, word: w })
          break
        }
      }
    }
  }
  for (const { type, phrase, pattern } of PHRASES) {
    const m = pattern.exec(text)
    if (m) found.push({ type, at: text.slice(0, m.index).split(' ').filter(Boolean).length, strength: 'exact', word: phrase })
  }
  for (const { type, pattern, weak } of PATTERNS) {
    const m = pattern.exec(text)
    if (m) found.push({ type, at: text.slice(0, m.index).split(' ').length - 1, strength: 'exact', word: m[0], ...(weak ? { weak } : {}) })
  }
  return found
}

// ---------------------------------------------------------------------------------------------
// Numbers and parameters

const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, hundred: 100,
  single: 1, dozen: 12, pair: 2,
}

const UNIT_WORDS = '(?:replicas?|instances?|copies|copy|servers?|nodes?|pods?|containers?|workers?|vms?|machines?|units?|boxes|box|hosts?|services?|apps?|backends?|frontends?|processes|process|shards?|runners?|jobs?|agents?)'
const NUM = '(\\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|hundred|a dozen|dozen|a single|single|a pair of|pair of)'

function numberOf(text: string): number | undefined {
  const t = text.replace(/^a /, '').replace(/ of$/, '')
  if (/^\d+$/.test(t)) return Number(t)
  return NUMBER_WORDS[t]
}

const REGION = /\b((?:us|eu|ap|sa|ca|me|af|il|mx)-(?:west|east|central|north|south|northeast|southeast|northwest|southwest)(?:-\d)?)\b/

function memoryOf(text: string): number | undefined {
  const m = /(\d+(?:\.\d+)?)\s*(tb|tib|terabytes?|gb|gib|g|gigs?|gigabytes?|mb|mib|m|megs?|megabytes?)\b(?!\s*(?:\/s|ps|bit))/.exec(text)
  if (!m) return undefined
  const n = Number(m[1])
  const unit = m[2]!
  const mb = /^t/.test(unit) ? n * 1024 * 1024 : /^g/.test(unit) ? n * 1024 : n
  return Math.round(mb)
}

function cpuOf(text: string): number | undefined {
  const m = /(\d+(?:\.\d+)?|one|two|four|eight|sixteen|half a)\s*(?:v?cpus?|cores?|vcores?|processors?)\b/.exec(text) ?? /\b(?:cpus?|cores?)\s*[:=]?\s*(\d+(?:\.\d+)?)\b/.exec(text)
  if (!m) return undefined
  if (m[1] === 'half a') return 0.5
  return /^\d/.test(m[1]!) ? Number(m[1]) : NUMBER_WORDS[m[1]!]
}

function versionOf(text: string): string | undefined {
  const m =
    /\bv(\d+(?:\.\d+){0,3}(?:-[a-z0-9.]+)?)\b/.exec(text) ??
    /\b(?:version|release|tag|build)\s*[:=]?\s*(\d+(?:\.\d+){0,3}(?:-[a-z0-9.]+)?)\b/.exec(text) ??
    /\b(?:ship|push|release|deploy|roll out)\w*\s+(\d+\.\d+(?:\.\d+){0,2}(?:-[a-z0-9.]+)?)(?=\s|$)/.exec(text) ??
    /\bto\s+(\d+\.\d+(?:\.\d+){0,2}(?:-[a-z0-9.]+)?)\b/.exec(text)
  return m?.[1]
}

/** Counts of replicas: "5 web servers", "3x", "x4", "scale web to 10", "replicas: 4". */
function replicasOf(text: string, type: IntentType): number | undefined {
  // Sizes, versions and regions hold digits that are never counts.
  const clean = text
    .replace(/(\d+(?:\.\d+)?)\s*(tb|tib|gb|gib|g|gigs?|gigabytes?|mb|mib|m|megs?|megabytes?|cores?|v?cpus?|vcores?|ms|s|sec|secs|seconds?|min|mins|minutes?|hours?|hrs?|h|days?|%|percent)\b/g, ' ')
    .replace(/\bv\d+(?:\.\d+)*\b/g, ' ')
    .replace(/\b(?:version|release)\s+\d+(?:\.\d+)*\b/g, ' ')
    .replace(REGION, ' ')
    .replace(/\b\d+\.\d+(?:\.\d+)*\b/g, ' ')
  const patterns: RegExp[] = [
    /\b(\d+)\s*x\b/,
    /\bx\s*(\d+)\b/,
    /\breplicas?\s*[:=]\s*(\d+)\b/,
    new RegExp(`\\b${NUM}\\s+(?:(?:more|extra|new|additional|fresh|identical|small|large|big|tiny|)\\s*)(?:[a-z0-9][a-z0-9_-]*\\s+){0,2}${UNIT_WORDS}\\b`),
    /\b(?:to|at|=)\s+(\d+)\s*(?:replicas?|instances?|copies|nodes?|pods?)?\b/,
    /\b(\d+)\s+(?:of\s+)?(?:them|it)\b/,
  ]
  for (const p of patterns) {
    if (type !== 'scale' && p.source.startsWith('\\b(?:to|at|=)')) continue
    const m = p.exec(clean)
    if (m) {
      const n = numberOf(m[1]!)
      if (n !== undefined && (n > 0 || type === 'scale')) return n
    }
  }
  if (type === 'scale') {
    const bare = new RegExp(`\\b(?:to|at|=)\\s+${NUM}\\b`).exec(clean) ?? /\b(?:scale|resize|set|make|bump|grow|shrink)\b[^0-9]*?\b(\d+)\b/.exec(clean) ?? /\b(\d+)\s*$/.exec(clean.trim())
    if (bare) return numberOf(bare[1]!)
  }
  return undefined
}

const STOP_NAMES = new Set([
  'the', 'a', 'an', 'my', 'our', 'your', 'this', 'that', 'these', 'those', 'all', 'every', 'each', 'it', 'them', 'its', 'to', 'in', 'on', 'of', 'for', 'from', 'with', 'w', 'and', 'please', 'pls', 'plz', 'now', 'deployment', 'deployments',
  'service', 'services', 'app', 'application', 'cluster', 'fleet', 'replicas', 'replica', 'instances', 'instance', 'servers', 'server', 'nodes', 'node', 'pods', 'workload', 'workloads', 'everything', 'up', 'down', 'out', 'back', 'over', 'me', 'us', 'some', 'more', 'new',
  'copies', 'containers', 'version', 'region', 'placement', 'placements', 'cost', 'costs', 'latency', 'bandwidth', 'capacity', 'spending', 'spend', 'performance', 'resources', 'devices', 'device', 'edge', 'cloud', 'just', 'also', 'then', 'again', 'can', 'could', 'would', 'you', 'kindly', 'quickly', 'asap', 'immediately', 'right', 'entire', 'whole', 'current', 'latest', 'previous', 'old',
  'is', 'are', 'be', 'was', 'by', 'at', 'as', 'x', 'gb', 'mb', 'ram', 'memory', 'cpu', 'cores', 'totally', 'completely', 'permanently', 'safely', 'everywhere', 'production', 'staging', 'prod', 'eye', 'tabs', 'eyes', 'one', 'thing', 'stuff', 'system', 'database', 'db', 'state', 'so', 'is', 'there',
])

const NAME = /^[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*$/

/** A name-like token that is not a keyword, a number or a region. */
function nameLike(t: string): boolean {
  if (!NAME.test(t) || STOP_NAMES.has(t) || REGION.test(t) || NUMBER_WORDS[t] !== undefined) return false
  if (/^v\d/.test(t)) return false
  for (const type of PRECEDENCE) if (LEXICON[type].words.includes(t)) return false
  return true
}

const PRONOUNS = new Set(['it', 'them', 'that', 'this'])

function targetOf(tokens: Token[], text: string, type: IntentType, verbAt: number, context: ConversationContext): string | undefined {
  // Explicit forms first: "deployment web", "web deployment", "named web", "called web", "for web".
  const explicit =
    /\b(?:deployment|service|app|workload|called|named)\s+["']?([a-z][a-z0-9_.-]*)/.exec(text) ??
    /\b([a-z][a-z0-9_.-]*)\s+(?:deployment|service|workload)\b/.exec(text)
  if (explicit && nameLike(explicit[1]!)) return explicit[1]
  // Deploy: "5 web servers", "3x api", "deploy checkout".
  if (type === 'deploy') {
    const counted = new RegExp(`\\b(?:${NUM}|\\d+\\s*x|x\\s*\\d+)\\s+([a-z][a-z0-9_.-]*)\\s+${UNIT_WORDS}\\b`).exec(text) ?? /\b\d+\s*x\s+([a-z][a-z0-9_.-]*)\b/.exec(text)
    const candidate = counted?.[counted.length - 1]
    if (candidate && nameLike(candidate)) return candidate
  }
  // After the verb: the first name-like word.
  for (const t of tokens.slice(verbAt + 1)) {
    if (PRONOUNS.has(t.text) && context.lastTarget) return context.lastTarget
    if (nameLike(t.text)) return t.text
    if (/^(?:to|in|into|with|by|at|for)$/.test(t.text) && type !== 'diagnose' && type !== 'query' && type !== 'monitor') break
  }
  // "it", "them" before any name: the conversation's last target.
  if (tokens.some((t) => PRONOUNS.has(t.text)) && context.lastTarget) return context.lastTarget
  // Before the verb ("web: scale to 3", "checkout needs 4 replicas").
  for (const t of tokens.slice(0, verbAt)) if (nameLike(t.text) && !/^(?:hey|hi|hello|ok|okay|yo|team|folks|guys|sir|console|dwcp|claude|thanks|thank|ignore|instructions|previous|safe|query|fine|confirmation|skip|confirm)$/.test(t.text)) return t.text
  return undefined
}

/** Questions about one thing: "how is web doing", "status of web", "is web healthy", "web status". */
const ASKED_ABOUT: RegExp[] = [
  /\b(?:status|state|health|details|info|logs?)\s+(?:of|for|on)\s+(?:the\s+)?([a-z][a-z0-9_.-]*)/,
  /\bhow(?:'s|\s+is|\s+are)\s+(?:the\s+)?([a-z][a-z0-9_.-]*)\s+(?:doing|going|running|looking|holding)/,
  /\b(?:is|are)\s+(?:the\s+)?([a-z][a-z0-9_.-]*)\s+(?:healthy|up|running|ok|okay|alive|down|working|broken)\b/,
  /\b([a-z][a-z0-9_.-]*)(?:'s)?\s+(?:status|health)\b/,
]

function askedAboutName(text: string): string | undefined {
  for (const pattern of ASKED_ABOUT) {
    const name = pattern.exec(text)?.[1]
    if (name && nameLike(name) && !/^(?:what|whats|how|the|fleet|overall|current|system|things|we|they|you|everyone|everybody)$/.test(name)) return name
  }
  return undefined
}

const BUILTIN_MODULES: [RegExp, string][] = [
  [/\b(?:hash|hashing|sha|checksum)\b/, 'hash'],
  [/\b(?:image|images|thumbnail|thumbnails|transform|resize images)\b/, 'transform'],
  [/\b(?:greeter|greeting|component)\b/, 'greeter'],
  [/\b(?:web|http|api|server|servers|frontend|backend|site|website|gateway)\b/, 'http'],
]

function moduleOf(text: string): string | undefined {
  const sha = /\bsha256:([0-9a-f]{64})\b/.exec(text)
  if (sha) return `sha256:${sha[1]}`
  const named = /\b(?:module|workload|wasm)\s*[:=]?\s*(trivial|hash|transform|http|greeter)\b/.exec(text)
  if (named) return named[1]
  for (const [pattern, module] of BUILTIN_MODULES) if (pattern.test(text)) return module
  return undefined
}

function strategyOf(text: string): IntentParameters['strategy'] {
  if (/\b(?:cost|cheap|cheaper|cheapest|price|money|budget|spend)\b/.test(text)) return 'cost'
  if (/\b(?:latency|fast|faster|fastest|closest|nearest|close to|near)\b/.test(text)) return 'latency'
  if (/\b(?:bandwidth|throughput)\b/.test(text)) return 'bandwidth'
  if (/\b(?:capacity|headroom|spread|least loaded|room)\b/.test(text)) return 'capacity'
  return undefined
}

function durationOf(text: string): number | undefined {
  const m = /\b(\d+)\s*(minutes?|mins?|m|hours?|hrs?|h)\b/.exec(text)
  if (!m) return undefined
  return /^h/.test(m[2]!) ? Number(m[1]) * 60 : Number(m[1])
}

function backupIdOf(text: string): string | undefined {
  const m = /\b(?:backup|snapshot)\s+(?:id\s+)?([a-z0-9][a-z0-9_.:-]*\d[a-z0-9_.:-]*)/.exec(text) ?? /\b(\d{4}-\d{2}-\d{2}(?:t[\d:.-]+z?)?)\b/.exec(text)
  return m?.[1]
}

// ---------------------------------------------------------------------------------------------
// The recogniser

/** Deploy words that also describe other things ("while the job runs"): they count only as the main verb. */
const WEAK_DEPLOY: ReadonlySet<string> = new Set(['run', 'start', 'host', 'create', 'ship', 'boot'])

/** A question about state ("what…", "how many…", "is web…"), unless it plainly asks for a change. */
const QUESTION = /^(?:what|which|how|where|when|who|is|are|does|do|did|has|have|can you tell|could you tell|tell me|show|list|display|give me a list)\b/

function chooseType(found: Signal[], text: string): { type: IntentType; at: number; confidence: number } {
  const strong = found.filter((s) => !s.weak)
  const first = (type: IntentType, from: Signal[] = strong) => from.filter((s) => s.type === type).sort((a, b) => a.at - b.at)[0]
  const pick = (type: IntentType, s: Signal | undefined, confidence: number) => ({ type, at: s?.at ?? 0, confidence: s?.strength === 'typo' ? Math.min(confidence, 0.75) : confidence })

  // "remove 2 replicas", "add 3 instances": a change of count, not a destroy or a deploy.
  const countChange = /\b(?:remove|kill|drop|delete|terminate|add|cut|shed)\s+(?:\d+|one|two|three|four|five|six|ten)\s+(?:more\s+|extra\s+)?(?:replicas?|instances?|copies|pods?|nodes?)\b/.test(text)
  const destroy = first('destroy')
  // Turning off a flag or an alert destroys nothing.
  const harmless = /\b(?:turn off|shut down|drop|remove|delete)\b.*\b(?:flag|feature|telemetry|alert|alerts|notifications?|filter)\b/.test(text)
  if (destroy && !countChange && !harmless) return pick('destroy', destroy, 0.95)
  if (countChange) return pick('scale', destroy ?? first('scale'), 0.85)
  // A backup named as what to go back to is a restore ("roll the db back to last night's backup");
  // one to take first is a backup ("take a backup before rolling back").
  const backup = first('backup')
  const takesBackup = backup && TAKES_BACKUP.test(text)
  const restore = first('restore')
  // "restore web to its previous version" goes back a version, not to a backup.
  if (restore && !/\b(?:backup|snapshot|restore point)s?\b/.test(text) && /\b(?:previous|prior|last|older|earlier) (?:version|release|build)\b|\bv?\d+\.\d+/.test(text)) return pick('rollback', restore, 0.85)
  if (restore && !(takesBackup && backup!.at < restore.at)) return pick('restore', restore, 0.9)
  if (takesBackup) return pick('backup', backup, 0.9)
  const rollback = first('rollback')
  if (rollback) return pick('rollback', rollback, 0.9)
  const update = first('update')
  const deploy = first('deploy')
  const scale = first('scale')
  const migrate = first('migrate')
  const version = versionOf(text)
  // Moving onto a version is an update; moving to a region or off a device is a migration.
  if (migrate && !(update && version) && (/\b(?:to|into|onto|off|away|out of|from|elsewhere)\b/.test(text) || REGION.test(text) || ['evacuate', 'failover', 'fail over', 'rehome', 'relocate', 'migrate', 'drain'].includes(migrate.word))) return pick('migrate', migrate, 0.9)
  // "bump api to 3 replicas" changes a count; "bump api to v2" a version.
  if (update && !(update.word === 'bump' && !version)) return pick('update', update, 0.9)
  const strongDeploy = deploy && !WEAK_DEPLOY.has(deploy.word) ? deploy : undefined
  if (scale && !(strongDeploy && strongDeploy.at < scale.at && !LEXICON.scale.words.includes(scale.word))) return pick('scale', scale, 0.9)
  if (update?.word === 'bump') return pick('scale', update, 0.8)
  // A count in a sentence without a deploy verb: "take payments to 14 replicas".
  const countedScale = first('scale', found)
  if (countedScale && !strongDeploy) return pick('scale', countedScale, 0.75)
  const asksState = QUESTION.test(text)
  // "back up the db", "snapshot everything" — not the noun in "list backups", "when was the last backup".
  if (backup && !asksState && !/\bbackups\b/.test(text)) return pick('backup', backup, 0.9)
  const optimize = first('optimize')
  const monitor = first('monitor')
  const diagnose = first('diagnose')
  // "run", "start" late in a sentence about watching or fixing something do not make it a deploy.
  const earlierReadOnly = [optimize, monitor, diagnose].some((s) => s && deploy && s.at < deploy.at)
  if (deploy && !(asksState && !/\b(?:deploy|launch|spin up|provision)\b/.test(text)) && !(WEAK_DEPLOY.has(deploy.word) && earlierReadOnly)) {
    return pick('deploy', deploy, WEAK_DEPLOY.has(deploy.word) ? 0.75 : 0.9)
  }
  const going = first('deploy', found.filter((s) => s.weak))
  if (going && !asksState) return pick(backup ? 'backup' : 'deploy', going, 0.7)
  if (optimize) return pick('optimize', optimize, 0.85)
  // "why is web slow" is a diagnosis even when it also says "watch"; "watch errors" is monitoring.
  if (diagnose && (!monitor || /\b(?:why|wrong|diagnos\w*|troubleshoot\w*|debug\w*|investigat\w*|root cause)\b/.test(text))) return pick('diagnose', diagnose, 0.85)
  if (monitor) return pick('monitor', monitor, 0.85)
  const weakUpdate = first('update', found)
  if (weakUpdate && !asksState) return pick('update', weakUpdate, 0.7)
  const weakDiagnose = first('diagnose', found)
  if (weakDiagnose) return pick('diagnose', weakDiagnose, 0.7)
  const weakRollback = first('rollback', found)
  if (weakRollback && !asksState) return pick('rollback', weakRollback, 0.7)
  const query = first('query')
  return pick('query', query, query ? 0.8 : 0.4)
}

export function recogniseOffline(text: string, context: ConversationContext = {}): Recognised {
  const lower = text.toLowerCase().replace(/[\u2018\u2019]/g, "'")
  const tokens = tokenize(text)
  const joined = tokens.map((t) => t.text).join(' ')
  const { type, at, confidence } = chooseType(signals(tokens, joined), joined)
  const parameters: IntentParameters = {}
  const askedAbout = type === 'query' || type === 'monitor' || type === 'diagnose' ? askedAboutName(lower) : undefined
  if (askedAbout) parameters.target = askedAbout
  const target = askedAbout || type === 'backup' || (type === 'query' && !/\b(?:deployment|service)\b/.test(lower)) || (type === 'rollback' && /\bv3\b|\beverything\b|\ball\b|\brelease\b|\bprotocol\b/.test(lower)) ? undefined : targetOf(tokens, lower, type, at, context)
  if (target) parameters.target = target
  let replicas = type === 'deploy' || type === 'scale' ? replicasOf(lower, type) : undefined
  // "deploy 3 web": a count right after the verb.
  if (replicas === undefined && type === 'deploy') {
    const next = tokens[at + 1]?.text
    const unit = tokens[at + 2]?.text ?? ''
    if (next !== undefined && numberOf(next) !== undefined && !/^(?:gb|gib|mb|mib|g|gigs?|cores?|v?cpus?|ms|minutes?|hours?)$/.test(unit)) replicas = numberOf(next)
  }
  if (replicas !== undefined) parameters.replicas = replicas
  const memoryMB = memoryOf(lower)
  if (memoryMB !== undefined && (type === 'deploy' || type === 'scale' || type === 'update' || type === 'migrate')) parameters.memoryMB = memoryMB
  const cpu = cpuOf(lower)
  if (cpu !== undefined && (type === 'deploy' || type === 'scale' || type === 'update' || type === 'migrate')) parameters.cpu = cpu
  const region = REGION.exec(lower)?.[1]
  if (region) parameters.region = region
  const version = type === 'update' || type === 'rollback' || type === 'deploy' ? versionOf(lower) : undefined
  if (version) parameters.version = version
  if (type === 'deploy' || type === 'update') {
    const module = moduleOf(lower)
    if (module) parameters.module = module
  }
  if (type === 'deploy' || type === 'optimize') {
    const strategy = strategyOf(lower)
    if (strategy) parameters.strategy = strategy
  }
  if (type === 'restore') {
    const id = backupIdOf(lower)
    if (id) parameters.backupId = id
  }
  if (type === 'monitor') {
    const minutes = durationOf(lower)
    if (minutes) parameters.durationMinutes = minutes
  }
  if (type === 'rollback' && (/\bv3\b|\bversion 3\b|\bprotocol\b|\beverything\b|\ball\b|\brelease\b/.test(lower) || !parameters.target)) parameters.protocol = true
  return { type, parameters, confidence }
}
