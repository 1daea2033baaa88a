import { describe, expect, it } from 'vitest'
import { checkJsonDepth, MAX_JSON_DEPTH } from './json-limits'
import { parseObject } from './framing'

const bytes = (s: string) => Buffer.from(s)

describe('JSON depth from a peer', () => {
  it('accepts nesting up to the limit and refuses one level more, before parsing', () => {
    expect(() => checkJsonDepth(bytes('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)), 'x')).not.toThrow()
    expect(() => checkJsonDepth(bytes('{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1)), 'a state')).toThrow(`a state nests deeper than ${MAX_JSON_DEPTH} levels`)
  })

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: '['.repeat(10_000) + '\\"[[[' + '{'.repeat(10_000) })
    expect(() => checkJsonDepth(bytes(text), 'x')).not.toThrow()
    expect(JSON.parse(text).s).toHaveLength(20_005)
  })

  it('refuses 100 000 levels in a few milliseconds, where JSON.parse would hold the event loop for a large fraction of a second', () => {
    const deep = bytes('['.repeat(100_000) + ']'.repeat(100_000))
    expect(() => parseObject(deep)).toThrow(/a message payload nests deeper than 128 levels/)
  })
})
