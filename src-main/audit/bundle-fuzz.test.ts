/**
 * Bundles are opened from anyone: hostile files get a BundleError (a failed verdict, or a refusal),
 * never a crash, a TypeError or RangeError, an allocation the size of what the file claims, or
 * minutes of signature checks. Property tests mutate a genuine export; the hostile files the issue
 * names are built here too.
 */
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../store'
import { tempHome } from '../testing/home'
import { applyEdit, bitFlip } from '../testing/mutations'
import { BundleError, BundleRefusedError, verifyBundle, type BundleReview } from './bundle'
import { generateLogKey } from './checkpoint'
import { AuditService } from './index'

let complete: Buffer
let filtered: Buffer
let openThroughService: (bytes: Buffer) => Promise<BundleReview>

beforeAll(async () => {
  const home = tempHome('dwcp-fuzz-')
  const store = Store.open({ home })
  const audit = new AuditService(store, { product: 'test' })
  for (let i = 0; i < 40; i++) {
    audit.record({ actor: i % 2 ? 'user' : 'agent:edge-1', action: i % 3 ? 'deploy' : 'scale', target: `web-${i}`, safety: 'caution', outcome: 'ok', details: { replicas: i, note: 'quoted "text" and ünïcode' } })
    if (i === 9 || i === 24) audit.sign('test') // several heads: consistency proofs between them
  }
  complete = readFileSync((await audit.export(join(home, 'all.dwcpaudit'), {})).file)
  filtered = readFileSync((await audit.export(join(home, 'scale.dwcpaudit'), { action: 'scale' })).file)
  openThroughService = (bytes) => audit.openBundle(bytes)
  return () => (audit.close(), store.close())
})

const linesOf = (bundle: Buffer) => gunzipSync(bundle).toString('utf8').trimEnd().split('\n')
const bundleOf = (lines: string[]) => gzipSync(lines.join('\n') + '\n')

/** Opening must end in a review or a BundleError; anything else is a crash in the making. */
async function opened(open: Promise<BundleReview>): Promise<BundleReview | BundleError> {
  try {
    const review = await open
    expect(typeof review.verdict.ok).toBe('boolean')
    if (!review.verdict.ok) expect(review.verdict.problem?.message).toEqual(expect.any(String))
    return review
  } catch (err) {
    if (!(err instanceof BundleError)) throw new Error(`opening threw ${(err as Error)?.name}: ${(err as Error)?.message}`)
    return err
  }
}

const DEEP = '['.repeat(50_000) + ']'.repeat(50_000)
const ODD_VALUES = ['1e309', '-1', '9007199254740993', '1e21', '0.5', 'null', 'true', '"x"', '[]', '{}', '{"toString":1,"valueOf":2}', '"' + 'A'.repeat(70_000) + '"', DEEP]

/** A random change to a genuine bundle's lines, of the kinds an attacker or a damaged disk makes. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), bits: fc.tuple(bitFlip) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat(), times: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ kind: fc.constant('swap' as const), line: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('field' as const), line: fc.nat(), field: fc.nat(), value: fc.constantFrom(...ODD_VALUES) }),
  fc.record({ kind: fc.constant('number' as const), line: fc.nat(), value: fc.constantFrom('1e309', '-1', '9007199254740993', '1e300', '0.5', '-0') }),
)

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never

function mutate(lines: string[], m: Mutation): Buffer {
  const out = [...lines]
  const pick = (n: number) => n % out.length
  switch (m.kind) {
    case 'flip':
    case 'truncate':
      return gzipSync(applyEdit(Buffer.from(out.join('\n') + '\n'), m))
    case 'duplicate':
      out.splice(pick(m.line), 0, ...Array(m.times).fill(out[pick(m.line)]))
      return bundleOf(out)
    case 'swap': {
      const [a, b] = [pick(m.line), pick(m.other)]
      ;[out[a], out[b]] = [out[b], out[a]]
      return bundleOf(out)
    }
    case 'field': {
      // Put a raw JSON value in place of one field, textually: the value may be too deep to build.
      const i = pick(m.line)
      const fields = Object.keys(JSON.parse(out[i]))
      const field = fields[m.field % fields.length]
      out[i] = JSON.stringify({ ...JSON.parse(out[i]), [field]: '\u0000HERE' }).replace('"\\u0000HERE"', m.value)
      return bundleOf(out)
    }
    case 'number': {
      const i = pick(m.line)
      out[i] = out[i].replace(/(?<=":)-?\d+(\.\d+)?/, m.value)
      return bundleOf(out)
    }
  }
  throw new Error('unknown mutation')
}

describe('bundle decoder, fuzzed', () => {
  it('a genuine bundle verifies (the base the mutations start from)', async () => {
    expect((await verifyBundle(complete)).verdict).toMatchObject({ ok: true })
    expect((await verifyBundle(filtered)).verdict).toMatchObject({ ok: true })
  })

  it('random bytes, gzipped or not: a BundleError, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), async (bytes, zip) => {
        await opened(verifyBundle(zip ? gzipSync(bytes) : Buffer.from(bytes)))
      }),
      { numRuns: 200 },
    )
  })

  it('mutations of a genuine bundle: a verdict or a BundleError, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), mutation, async (whole, m) => {
        await opened(verifyBundle(mutate(linesOf(whole ? complete : filtered), m)))
      }),
      { numRuns: 300 },
    )
  })

  it('bit flips in the compressed file: a verdict or a BundleError', async () => {
    await fc.assert(
      fc.asyncProperty(bitFlip, async (flip) => {
        await opened(verifyBundle(applyEdit(complete, { kind: 'flip', bits: [flip] })))
      }),
      { numRuns: 150 },
    )
  })

  it('through AuditService.openBundle (on its worker thread) too', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        await opened(openThroughService(mutate(linesOf(complete), m)))
      }),
      { numRuns: 8 },
    )
  })
})

describe('hostile bundles the issue names', () => {
  it('one line that inflates to 2 GiB is refused at 1 MiB, by line number', async () => {
    const member = gzipSync('a'.repeat(1024 * 1024), { level: 9 })
    const bomb = Buffer.concat([gzipSync('{"type":"header","format":"dwcp-audit-bundle","pad":"'), ...Array(2048).fill(member)])
    expect(bomb.length).toBeLessThan(3 * 1024 * 1024)
    await expect(verifyBundle(bomb)).rejects.toThrow(BundleRefusedError)
    await expect(verifyBundle(bomb)).rejects.toThrow('line 1 is longer than 1 MiB: not an audit bundle from this product')
    await expect(openThroughService(bomb)).rejects.toThrow('line 1 is longer than 1 MiB')
  })

  it('a file that inflates far beyond what its size can hold is refused', async () => {
    const header = linesOf(complete)[0]
    // Lines just under the length limit, each squeezed to a kilobyte: 400 MiB from 400 KB.
    const line = gzipSync(JSON.stringify({ type: 'consistency', from: 1, to: 2, proof: [], pad: 'a'.repeat(1024 * 1024 - 100) }) + '\n', { level: 9 })
    const bomb = Buffer.concat([gzipSync(header + '\n'), ...Array(400).fill(line)])
    await expect(verifyBundle(bomb)).rejects.toThrow(/inflates to more than \d+ MiB, far more than its compressed size can hold: not an audit bundle from this product/)
  })

  it('a million blank lines are refused, not looped over', async () => {
    const bomb = Buffer.concat([gzipSync(linesOf(complete)[0] + '\n'), gzipSync('\n'.repeat(1_000_000))])
    await expect(verifyBundle(bomb)).rejects.toThrow('the bundle has more than 1000 blank lines: not an audit bundle from this product')
  })

  it('4,000 copies of one genuine head are refused at the second, without checking 4,000 signatures', async () => {
    const lines = linesOf(complete)
    const at = lines.findIndex((l) => l.includes('"type":"head"'))
    const flood = bundleOf([...lines.slice(0, at + 1), ...Array(4000).fill(lines[at]), ...lines.slice(at + 1)])
    await expect(verifyBundle(flood)).rejects.toThrow(/signed head #\d+ is listed more than once: not an audit bundle from this product/)
  })

  it('one genuine head under 4,000 numbers has its signature checked once', async () => {
    const lines = linesOf(complete)
    const at = lines.findIndex((l) => l.includes('"type":"head"'))
    const head = JSON.parse(lines[at])
    const copies = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ ...head, id: 100_000 + i }))
    const review = await verifyBundle(bundleOf([...lines.slice(0, at + 1), ...copies, ...lines.slice(at + 1)]))
    expect(review.verdict).toMatchObject({ ok: true, heads: (await verifyBundle(complete)).verdict.heads })
  })

  it('a key line whose fingerprint is not its key’s cannot pass for this installation', async () => {
    const lines = linesOf(complete)
    const at = lines.findIndex((l) => l.includes('"type":"key"'))
    const impostor = generateLogKey('attacker.example/log')
    lines[at] = JSON.stringify({ ...JSON.parse(lines[at]), publicKey: Buffer.from(impostor.publicKey).toString('base64') })
    const review = await verifyBundle(bundleOf(lines))
    expect(review.verdict.ok).toBe(false)
    expect(review.verdict.problem?.message).toMatch(/is not the key with that fingerprint/)
  })
})
