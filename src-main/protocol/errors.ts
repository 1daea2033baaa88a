/**
 * Every way a frame, a handshake or a link can be refused. Parsers throw only this, so a caller can
 * tell bad input (a typed, counted refusal) from a bug (anything else).
 */
export type ProtocolErrorKind =
  | 'truncated'
  | 'bad_magic'
  | 'bad_version'
  | 'bad_checksum'
  | 'too_large'
  | 'bad_length'
  | 'bad_field'
  | 'decompress'
  | 'replay'
  | 'reorder'
  | 'stale'
  | 'tampered'
  | 'handshake'
  | 'no_common_version'
  | 'not_allowed'
  | 'closed'
  | 'timeout'
  | 'remote'
  | 'not_found'
  /** Too many handshakes from one address: retry later (the agent backs off). */
  | 'rate_limited'
  /** The console has too many handshakes under way: retry later. */
  | 'busy'

export class ProtocolError extends Error {
  constructor(
    readonly kind: ProtocolErrorKind,
    message: string,
  ) {
    super(message)
    this.name = 'ProtocolError'
  }
}

export const fail = (kind: ProtocolErrorKind, message: string): never => {
  throw new ProtocolError(kind, message)
}
