import { signalSession } from './process-tree'
import type { Pty } from './pty'

/** Output is sent in batches at most this often (Hyper batches every 16 ms). */
export const BATCH_MS = 16
/** No single event carries more than this many characters (Tabby's 100 KB chunks). */
export const MAX_CHUNK = 100_000
/** The pty is paused while this much output waits for the screen to acknowledge it (Tabby: 500 KB). */
export const HIGH_WATER = 500_000
/** …and resumed once the backlog falls below this. */
export const LOW_WATER = 100_000
/** After the hang-up, this long to save history and exit before what is left is killed. */
export const KILL_GRACE_MS = 2000

export interface SessionSink {
  data(data: string): void
  exit(exitCode: number, signal?: number): void
}

/**
 * One shell on one pty, with the flow control of a good terminal: output batched, cut into bounded
 * chunks, and the child paused while the renderer is behind. node-pty decodes UTF-8 with a streaming
 * decoder, so a chunk never ends inside a multibyte character; we only take care not to split a
 * UTF-16 surrogate pair when cutting.
 */
export class TerminalSession {
  private pending = ''
  private timer: NodeJS.Timeout | undefined
  private unacked = 0
  private paused = false
  private exited = false
  private ended = false

  constructor(
    readonly pty: Pty,
    private readonly sink: SessionSink,
  ) {
    pty.onData((data) => this.onData(data))
    pty.onExit(({ exitCode, signal }) => {
      this.exited = true
      this.flush()
      // The shell is gone; what it left running in the tab goes with it.
      this.end(KILL_GRACE_MS)
      this.sink.exit(exitCode, signal || undefined)
    })
  }

  get isPaused(): boolean {
    return this.paused
  }

  write(data: string): void {
    if (!this.exited) this.pty.write(data)
  }

  resize(cols: number, rows: number): void {
    if (!this.exited) this.pty.resize(cols, rows)
  }

  ack(chars: number): void {
    this.unacked = Math.max(0, this.unacked - chars)
    if (this.paused && this.unacked < LOW_WATER) {
      this.paused = false
      this.pty.resume()
    }
  }

  /**
   * The tab is closing: hang up the shell and everything started in it, and kill what is still there
   * after `graceMs` (0: at once, when the whole app stops and no timer would fire).
   */
  kill(graceMs = KILL_GRACE_MS): void {
    if (!this.exited) {
      try {
        this.pty.kill('SIGHUP')
      } catch {
        /* already gone */
      }
    }
    this.end(graceMs)
  }

  private end(graceMs: number): void {
    if (this.ended) return
    this.ended = true
    const leader = this.pty.pid
    signalSession(leader, 'SIGHUP', !this.exited)
    if (graceMs <= 0) return signalSession(leader, 'SIGKILL', !this.exited)
    setTimeout(() => signalSession(leader, 'SIGKILL', !this.exited), graceMs).unref()
  }

  private onData(data: string): void {
    this.pending += data
    if (this.pending.length >= MAX_CHUNK) this.flush()
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS)
  }

  private flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    while (this.pending.length > 0) {
      const chunk = takeChunk(this.pending, MAX_CHUNK)
      this.pending = this.pending.slice(chunk.length)
      this.unacked += chunk.length
      this.sink.data(chunk)
    }
    if (!this.paused && !this.exited && this.unacked > HIGH_WATER) {
      this.paused = true
      this.pty.pause()
    }
  }
}

/** The first at most `max` UTF-16 units of `text`, never ending between the halves of a surrogate pair. */
export function takeChunk(text: string, max: number): string {
  if (text.length <= max) return text
  const last = text.charCodeAt(max - 1)
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max
  return text.slice(0, end)
}
