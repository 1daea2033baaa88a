import type { EventName } from '../api/contract'
import type { CallContext } from '../api/dispatch'

/** A call context that records the events sent to it, as a connected client would receive them. */
export function recordingContext(clientId = 'test-client', transport: CallContext['transport'] = 'test') {
  const received: { event: EventName; data: any }[] = []
  const ctx: CallContext = { clientId, transport, emit: (event, data) => void received.push({ event, data }) }
  return { ctx, received }
}

/**
 * Wait until `check` returns a truthy value, polling; fails with `what` after `timeoutMs`. The default
 * is long because a busy machine can be many times slower than a quiet one, and a wait that succeeds
 * early costs nothing: it only bounds a hang.
 */
export async function waitFor<T>(check: () => T | undefined | false | null | Promise<T | undefined | false | null>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
