import { describe, expect, it } from 'vitest'
import { StateReceiver, StateSender } from './state-sync'
import type { Json } from './compression'

describe('state sync', () => {
  it('rebuilds every state exactly from deltas against batched acknowledgements, new keys anywhere', () => {
    const sender = new StateSender()
    const receiver = new StateReceiver()
    let state: Record<string, unknown> = { a: 1, nested: { x: 'keep', y: [1, 2] }, big: 'z'.repeat(3000) }
    const sizes: number[] = []
    for (let i = 0; i < 40; i++) {
      // A key added in the middle, a key removed, a nested change: the dictionary texts must still agree.
      if (i === 5) state = { a: state.a, inserted: true, nested: state.nested, big: state.big }
      if (i === 9) delete state.inserted
      state = { ...state, a: i, nested: { ...(state.nested as object), y: [i, i + 1] } }
      const m = sender.next(state as Json)
      sizes.push(m.payload.length)
      const r = receiver.apply(m.id, m.delta, m.payload)
      if ('lost' in r) throw new Error('lost')
      expect(r.state).toEqual(state)
      if (r.ackNow) sender.acknowledged(m.id)
    }
    expect(sizes[0]).toBeGreaterThan(3000)
    expect(Math.max(...sizes.slice(1))).toBeLessThan(60)
  })

  it('a delta whose base the receiver lost asks for the whole state, and the next one is whole', () => {
    const sender = new StateSender()
    const first = sender.next({ n: 1 })
    new StateReceiver().apply(first.id, first.delta, first.payload)
    sender.acknowledged(first.id)
    const delta = sender.next({ n: 2 })
    const fresh = new StateReceiver()
    expect(fresh.apply(delta.id, delta.delta, delta.payload)).toEqual({ lost: true })
    sender.acknowledged(undefined)
    const whole = sender.next({ n: 3 })
    expect(whole.delta).toBe(false)
    expect(fresh.apply(whole.id, whole.delta, whole.payload)).toMatchObject({ state: { n: 3 } })
  })

  it('a corrupt delta is a typed error, not a crash', () => {
    const sender = new StateSender()
    const receiver = new StateReceiver()
    const first = sender.next({ n: 1 })
    receiver.apply(first.id, first.delta, first.payload)
    sender.acknowledged(first.id)
    const delta = sender.next({ n: 2 })
    delta.payload[6]! ^= 0xff
    expect(() => receiver.apply(delta.id, delta.delta, delta.payload)).toThrow(/does not inflate|JSON/)
  })
})
