/**
 * Hostile labelled sets through the path `dwcp intent eval FILE` takes: the bounded read and parse
 * (readLabelled), then the offline parser scored over every line. Random bytes, truncations, bit flips,
 * hostile values in genuine lines, very long texts, deep nesting, many lines: every file is scored or
 * refused with an IntentError (or the reader's InputFileError), never a crash, and a score accounts for
 * every line.
 */
import fc from 'fast-check'
import { readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { InputFileError } from '../input-file'
import { tempHome } from '../testing/home'
import { applyEdit, fileEditKinds, type Edit } from '../testing/mutations'
import { evaluate, IntentError, LABELLED_FILE_MAX_BYTES, parseOffline, readLabelled } from './index'

const GENUINE = readFileSync(fileURLToPath(new URL('./testdata/holdout.jsonl', import.meta.url)), 'utf8').split('\n').slice(0, 25).join('\n') + '\n'
const FIELDS = ['text', 'type', 'safety', 'replicas', 'memoryMB', 'cpu', 'region', 'version', '__proto__', 'constructor', 'extra']

const hostileJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('1e308', '1e400', 'NaN', 'Infinity', '-1', '-0', 'null', 'true', '{}', '[]', '""', '"__proto__"', '"constructor"', '"toString"', '"hasOwnProperty"', '"deploy"', '"critical"', '{"__proto__":{"polluted":1}}'),
  fc.integer({ min: 1, max: 200_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 1, max: 200_000 }).map((length) => JSON.stringify('deploy 3 web '.repeat(Math.ceil(length / 13)).slice(0, length))),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }).map((s) => JSON.stringify(s)),
)

type Labelled =
  | Edit
  | { kind: 'value'; line: number; field: string; value: string }
  | { kind: 'lines'; copies: number }

const labelledFile: fc.Arbitrary<Labelled> = fc.oneof(
  ...fileEditKinds(),
  fc.record({ kind: fc.constant('value' as const), line: fc.nat(), field: fc.constantFrom(...FIELDS), value: hostileJson }),
  fc.record({ kind: fc.constant('value' as const), line: fc.nat(), field: fc.constantFrom(...FIELDS), value: hostileJson }),
  fc.record({ kind: fc.constant('lines' as const), copies: fc.integer({ min: 0, max: 20 }) }),
  // Labels that are keys of every object: counted under them, they would land on Object.prototype.
  fc.record({ kind: fc.constant('value' as const), line: fc.nat(), field: fc.constantFrom('type', 'safety'), value: fc.constantFrom('"__proto__"', '"constructor"', '"toString"', '"hasOwnProperty"', '"Deploy"', '""') }),
)

function fileText(f: Labelled): Buffer {
  switch (f.kind) {
    case 'truncate':
    case 'flip':
    case 'random':
    case 'text':
      return applyEdit(Buffer.from(GENUINE), f)
    case 'value': {
      // Spliced in as text, after the genuine field so it wins: tokens like 1e400 and deep nesting reach the parser.
      const lines = GENUINE.trimEnd().split('\n')
      const at = f.line % lines.length
      lines[at] = lines[at].replace(/\}$/, `, ${JSON.stringify(f.field)}: ${f.value}}`)
      return Buffer.from(lines.join('\n'))
    }
    case 'lines':
      return Buffer.from(GENUINE.repeat(f.copies))
  }
}

describe('hostile labelled sets (dwcp intent eval FILE)', () => {
  it('each is scored or refused with a typed error, and a score counts every line once', () => {
    const home = tempHome()
    let run = 0
    let scored = 0
    let refused = 0
    fc.assert(
      fc.property(labelledFile, (f) => {
        const file = join(home, `set-${run++}.jsonl`)
        writeFileSync(file, fileText(f))
        let set
        try {
          set = readLabelled(file)
        } catch (err) {
          if (!((err instanceof IntentError && err.kind === 'bad_request') || err instanceof InputFileError)) throw new Error(`not a typed refusal: ${err instanceof Error ? `${err.name}: ${err.message.slice(0, 300)}` : String(err)}`)
          expect(err.message).toContain(file)
          refused++
          return
        }
        const report = evaluate(set, (t) => parseOffline(t))
        expect(report.n).toBe(set.length)
        expect(Object.values(report.per_type).reduce((sum, t) => sum + t.n, 0)).toBe(set.length)
        // The CLI prints the report (and each miss) as JSON.
        expect(JSON.parse(JSON.stringify(report))).toEqual(report)
        expect(({} as Record<string, unknown>).n).toBeUndefined()
        scored++
      }),
      { numRuns: 300 },
    )
    expect(scored).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
  }, 120_000)

  it('a type that is not an intent type is refused with its line, not counted under Object.prototype', () => {
    const home = tempHome()
    const file = join(home, 'proto.jsonl')
    writeFileSync(file, '{"text": "deploy 2 web", "type": "deploy", "safety": "caution"}\n{"text": "x", "type": "__proto__", "safety": "safe"}\n')
    expect(() => readLabelled(file)).toThrow(/proto\.jsonl: line 2 has type "__proto__", not one of deploy, scale/)
  })

  it('a file past 64 MiB or a folder is refused before it is read', () => {
    const home = tempHome()
    const big = join(home, 'big.jsonl')
    writeFileSync(big, '')
    truncateSync(big, LABELLED_FILE_MAX_BYTES + 1)
    expect(() => readLabelled(big)).toThrow(/big\.jsonl is larger than 64 MiB/)
    expect(() => readLabelled(home)).toThrow(/is a folder, not a file/)
  })
})
