import { describe, expect, it } from 'vitest'
import { CheckpointError, generateLogKey, parseCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint'

const origin = 'dwcp.console/test'
const key = generateLogKey(origin)
const root = Buffer.alloc(32, 7)
const note = signCheckpoint({ origin, size: 42, rootHash: root }, key)

describe('signed checkpoints (C2SP tlog-checkpoint, ML-DSA-65)', () => {
  it('has the checkpoint text form and verifies with the installation key', () => {
    expect(note.startsWith(`${origin}\n42\n${root.toString('base64')}\n\n\u2014 ${origin} `)).toBe(true)
    const cp = verifyCheckpoint(note, key.publicKey, origin)
    expect(cp.size).toBe(42)
    expect(Buffer.from(cp.rootHash).equals(root)).toBe(true)
  })

  it('rejects any changed character of the text or the signature', () => {
    for (const at of [0, origin.length + 1, note.indexOf('\n\n') - 3, note.length - 10]) {
      const c = note[at] === 'A' ? 'B' : 'A'
      const changed = note.slice(0, at) + c + note.slice(at + 1)
      expect(() => verifyCheckpoint(changed, key.publicKey, origin), `changed at ${at}`).toThrow(CheckpointError)
    }
  })

  it('rejects another key and another origin', () => {
    expect(() => verifyCheckpoint(note, generateLogKey(origin).publicKey, origin)).toThrow(/no signature by the key/)
    expect(() => verifyCheckpoint(note, key.publicKey, 'dwcp.console/other')).toThrow(/not dwcp.console\/other/)
  })

  it('rejects malformed notes with a clear reason', () => {
    const text = `${origin}\n42\n${root.toString('base64')}\n`
    const sig = note.slice(note.indexOf('\n\n') + 1)
    expect(() => parseCheckpoint(text)).toThrow(/blank line/)
    expect(() => parseCheckpoint(`${origin}\n4x2\n${root.toString('base64')}\n${sig}`)).toThrow(/not a decimal/)
    expect(() => parseCheckpoint(`${origin}\n042\n${root.toString('base64')}\n${sig}`)).toThrow(/not a decimal/)
    expect(() => parseCheckpoint(`${origin}\n42\n***\n${sig}`)).toThrow(/not base64/)
    expect(() => parseCheckpoint(`${origin}\n42\n${root.toString('base64')}\n\n\u2014 ${origin}  extra\n`)).toThrow(/not a signature line/)
  })
})
