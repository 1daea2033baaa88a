/**
 * JSON from a peer is checked for depth before it is parsed. V8's JSON.parse does not overflow on
 * deep nesting, but its time grows faster than the text: 100 000 levels in 200 KB hold the event
 * loop for about 0.3 s, and a 16 MB frame of brackets for far longer. No message of ours nests
 * beyond a dozen levels.
 */
import { ProtocolError } from './errors'

/** Deepest nesting accepted in JSON from a peer (requests, states, the handshake). */
export const MAX_JSON_DEPTH = 128

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** Refuse JSON text that nests deeper than `max`: one linear pass, before any parsing. */
export function checkJsonDepth(bytes: Uint8Array, what: string, max = MAX_JSON_DEPTH): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (inString) {
      if (b === BACKSLASH) i++
      else if (b === QUOTE) inString = false
    } else if (b === QUOTE) inString = true
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) throw new ProtocolError('bad_field', `${what} nests deeper than ${max} levels`)
    } else if (b === 0x5d || b === 0x7d) depth--
  }
}
