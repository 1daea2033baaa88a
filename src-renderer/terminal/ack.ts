/**
 * Flow control, renderer side: the host pauses a shell while too much of its output waits for the
 * screen. Telling it after every chunk would double the messages, so written characters are summed
 * and reported at most every ACK_INTERVAL_MS — at once when the sum grows large, so a fast producer
 * is not held back by the timer (the host pauses at 500 k unacknowledged and resumes below 100 k).
 */
export const ACK_INTERVAL_MS = 50
export const ACK_IMMEDIATELY_ABOVE = 100_000

export class AckCoalescer {
  private pending = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly send: (chars: number) => void) {}

  add(chars: number): void {
    this.pending += chars
    if (this.pending > ACK_IMMEDIATELY_ABOVE) this.flush()
    else this.timer ??= setTimeout(() => this.flush(), ACK_INTERVAL_MS)
  }

  flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.pending === 0) return
    const chars = this.pending
    this.pending = 0
    this.send(chars)
  }

  /** Forget what is pending: the shell is gone, nobody is waiting for it. */
  cancel(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.pending = 0
  }
}
