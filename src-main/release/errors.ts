/** What the release manager refuses, with the API error code each maps to. */
export class ReleaseError extends Error {
  constructor(
    message: string,
    readonly kind: 'bad_request' | 'not_found' | 'conflict' | 'unavailable' | 'forbidden' = 'bad_request',
  ) {
    super(message)
    this.name = 'ReleaseError'
  }
}
