/**
 * The readiness score: 0–100 from four measured inputs, each with a stated weight, so the number can
 * be traced to its causes. Nothing here is typed in by a person: bugs and clocks come from the
 * feedback queue, adoption from the adopter table, benchmarks from the results `npm run bench`
 * appends to <data folder>/bench-results.jsonl.
 */
import { existsSync, readFileSync } from 'node:fs'

export const PRODUCTION_THRESHOLD = 80
export const BENCH_RESULTS_FILE = 'bench-results.jsonl'

/** The goals docs/benchmarks.md states for each benchmark: key → bound. */
export const BENCH_GOALS: Record<string, Record<string, { max?: number; min?: number }>> = {
  audit: { append_per_s: { min: 20_000 }, verify_1m_s: { max: 3 }, inclusion_proof_ms_p99: { max: 1 }, query_fts_ms_p99: { max: 50 } },
  wasm: { warm_p50_us: { max: 50 }, warm_p99_us: { max: 250 }, cold_p50_ms: { max: 5 }, cold_p99_ms: { max: 20 }, rss_mb: { max: 1024 } },
}

export interface ReadinessInputs {
  openCriticalBugs: number
  sla: { judged: number; met: number; overdue: number }
  approvedAdopters: number
  capacity: number
  benchResultsFile: string
}

export interface ReadinessPart {
  id: 'critical_bugs' | 'sla' | 'adoption' | 'benchmarks'
  label: string
  weight: number
  points: number
  /** The measurement behind the points, in words. */
  detail: string
}

export interface BenchGoalResult {
  bench: string
  key: string
  goal: string
  value: number
  met: boolean
  at: string
}

export interface Readiness {
  score: number
  threshold: number
  recommendedForProduction: boolean
  parts: ReadinessPart[]
  benchmarks: BenchGoalResult[]
}

export function readiness(inputs: ReadinessInputs): Readiness {
  const benchmarks = latestBenchGoals(inputs.benchResultsFile)
  const parts: ReadinessPart[] = [criticalBugsPart(inputs.openCriticalBugs), slaPart(inputs.sla), adoptionPart(inputs.approvedAdopters, inputs.capacity), benchPart(benchmarks)]
  const score = Math.round(parts.reduce((sum, p) => sum + p.points, 0))
  return { score, threshold: PRODUCTION_THRESHOLD, recommendedForProduction: score >= PRODUCTION_THRESHOLD, parts, benchmarks }
}

/** 30 points with none open; each open critical bug costs half of them. */
function criticalBugsPart(open: number): ReadinessPart {
  const points = Math.max(0, 30 - 15 * open)
  return { id: 'critical_bugs', label: 'Open critical bugs', weight: 30, points, detail: open === 0 ? 'none open' : `${open} open` }
}

/** 25 points × the share of judged clocks kept; with no clock judged yet there is no evidence, so no points. */
function slaPart(sla: ReadinessInputs['sla']): ReadinessPart {
  if (sla.judged === 0) return { id: 'sla', label: 'Feedback response targets', weight: 25, points: 0, detail: 'no response clock has stopped or run out yet' }
  const share = sla.met / sla.judged
  return { id: 'sla', label: 'Feedback response targets', weight: 25, points: round1(25 * share), detail: `${sla.met} of ${sla.judged} clocks kept (${Math.round(share * 100)}%), ${sla.overdue} overdue now` }
}

/** 20 points when half the program's places are filled by approved adopters, pro rata below. */
function adoptionPart(approved: number, capacity: number): ReadinessPart {
  const target = Math.ceil(capacity / 2)
  return { id: 'adoption', label: 'Adoption', weight: 20, points: round1(20 * Math.min(1, approved / target)), detail: `${approved} approved adopters of ${capacity} places (target ${target})` }
}

function benchPart(results: BenchGoalResult[]): ReadinessPart {
  if (results.length === 0) return { id: 'benchmarks', label: 'Benchmark goals', weight: 25, points: 0, detail: 'no results: run npm run bench -- audit wasm' }
  const met = results.filter((r) => r.met).length
  return { id: 'benchmarks', label: 'Benchmark goals', weight: 25, points: round1((25 * met) / results.length), detail: `${met} of ${results.length} goals met in the latest runs` }
}

/** The newest line of each benchmark that has goals, checked against them. Bad lines are skipped. */
export function latestBenchGoals(file: string): BenchGoalResult[] {
  if (!existsSync(file)) return []
  const latest = new Map<string, Record<string, unknown>>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>
      if (typeof parsed.bench === 'string' && parsed.bench in BENCH_GOALS) latest.set(parsed.bench, parsed)
    } catch {
      // A line cut short by an interrupted run says nothing; the previous complete one stands.
    }
  }
  const results: BenchGoalResult[] = []
  for (const [bench, line] of latest) {
    for (const [key, goal] of Object.entries(BENCH_GOALS[bench]!)) {
      const value = line[key]
      if (typeof value !== 'number') continue
      const met = (goal.max === undefined || value <= goal.max) && (goal.min === undefined || value >= goal.min)
      results.push({ bench, key, goal: goal.max !== undefined ? `≤ ${goal.max}` : `≥ ${goal.min}`, value, met, at: typeof line.at === 'string' ? line.at : '' })
    }
  }
  return results
}

const round1 = (n: number) => Math.round(n * 10) / 10
