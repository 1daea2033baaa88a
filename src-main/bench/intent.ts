/**
 * `npm run bench -- intent`: the offline parser's latency per request and its accuracy on the
 * labelled set in the repo. Baseline: a bare regular-expression keyword match of the type on the
 * same texts (what the parser costs beyond the least that could work, and what it gains).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { evaluate, parseLabelled, parseOffline } from '../intent'
import { percentile, round } from './stats'

const SET = fileURLToPath(new URL('../intent/testdata/intents.jsonl', import.meta.url))

const KEYWORDS: [RegExp, string][] = [
  [/destroy|delete|remove/, 'destroy'],
  [/roll ?back|revert/, 'rollback'],
  [/restore/, 'restore'],
  [/migrate|move/, 'migrate'],
  [/update|upgrade/, 'update'],
  [/scale/, 'scale'],
  [/back ?up|snapshot/, 'backup'],
  [/deploy|launch|spin up/, 'deploy'],
  [/optimi[sz]e|rebalance/, 'optimize'],
  [/why|diagnose|wrong/, 'diagnose'],
  [/monitor|watch/, 'monitor'],
]
const keywordType = (text: string) => KEYWORDS.find(([re]) => re.test(text.toLowerCase()))?.[1] ?? 'query'

function timeEach(texts: string[], run: (t: string) => unknown): number[] {
  const times: number[] = []
  for (const t of texts) {
    const start = process.hrtime.bigint()
    run(t)
    times.push(Number(process.hrtime.bigint() - start) / 1000)
  }
  return times
}

export async function intentBench(): Promise<Record<string, unknown>> {
  const set = parseLabelled(readFileSync(SET, 'utf8'))
  const texts = set.map((s) => s.text)
  const parse = (t: string) => parseOffline(t)
  for (let i = 0; i < 5; i++) timeEach(texts, parse) // warm up
  const times: number[] = []
  for (let i = 0; i < 10; i++) times.push(...timeEach(texts, parse))
  const baseline: number[] = []
  for (let i = 0; i < 10; i++) baseline.push(...timeEach(texts, keywordType))
  const report = evaluate(set, parse)
  const keywordAccuracy = set.filter((s) => keywordType(s.text) === s.type).length / set.length
  return {
    offline_parse_us_p50: round(percentile(times, 50), 1),
    offline_parse_us_p99: round(percentile(times, 99), 1),
    keyword_match_us_p50: round(percentile(baseline, 50), 2),
    type_accuracy: report.type_accuracy,
    safety_accuracy: report.safety_accuracy,
    param_accuracy: report.param_accuracy,
    keyword_type_accuracy: round(keywordAccuracy, 4),
    n: report.n,
  }
}
