import { FitAddon } from '@xterm/addon-fit'
import { Terminal } from '@xterm/xterm'
import type { TerminalInfo } from '../../src-main/api/contract'
import { api } from '../api/client'
import { copyText } from '../lib/clipboard'
import { errorMessage, isCallError } from '../lib/errors'
import { isMac } from '../lib/platform'
import type { AppliedTheme } from '../stores/theme'
import { reportError } from '../stores/toasts'
import { AckCoalescer } from './ack'
import { terminalTheme } from './themes'

export type SessionStatus = 'starting' | 'running' | 'exited' | 'failed'

export interface SessionCallbacks {
  started(info: TerminalInfo): void
  ended(status: 'exited' | 'failed', exitCode?: number): void
}

const FONT_FAMILY =
  'ui-monospace, "SF Mono", "Cascadia Mono", "JetBrains Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace'
/** The contract's bounds for a terminal's size. */
const COLS = { min: 2, max: 1000 }
const ROWS = { min: 1, max: 500 }
/** terminal.write takes at most 1,000,000 characters; a huge paste goes in pieces. */
const WRITE_CHUNK = 500_000
/** Dragging a window edge fires many fits; the shell only needs the size it settles on. */
const RESIZE_SETTLE_MS = 60

const clamp = (value: number, { min, max }: { min: number; max: number }) => Math.min(max, Math.max(min, value))

/**
 * One xterm.js terminal and the shell behind it on the host.
 *
 * The xterm instance lives here, outside React, in an element of its own that the Terminal view
 * borrows while it is on screen (`attach`/`detach`). Switching views therefore never disposes a
 * terminal or kills its shell, and the scrollback is still there on return.
 */
export class TerminalSession {
  readonly term: Terminal
  /** Host-side id, once terminal.open has answered. */
  id: string | undefined
  status: SessionStatus = 'starting'

  private readonly element = document.createElement('div')
  private readonly fitAddon = new FitAddon()
  private readonly acks: AckCoalescer
  private opened = false
  private disposed = false
  private startRequested = false
  /** Keys typed before the host answered terminal.open. */
  private typedWhileStarting = ''
  private resizeObserver: ResizeObserver | undefined
  private fitFrame = 0
  private resizeTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly callbacks: SessionCallbacks,
    theme: AppliedTheme,
  ) {
    this.element.className = 'terminal-surface'
    this.term = new Terminal({
      fontFamily: FONT_FAMILY,
      fontSize: 13,
      lineHeight: 1.25,
      cursorBlink: true,
      cursorInactiveStyle: 'outline',
      scrollback: 5000,
      theme: terminalTheme(theme),
    })
    this.term.loadAddon(this.fitAddon)
    this.acks = new AckCoalescer((chars) => {
      if (this.id && this.status === 'running') void api.call('terminal.ack', { id: this.id, chars }).catch(ignore)
    })
    this.term.onData((data) => this.type(data))
    this.term.onResize(({ cols, rows }) => this.scheduleHostResize(cols, rows))
    this.term.attachCustomKeyEventHandler((event) => this.handleKey(event))
  }

  /** Show the terminal inside `host`; the first time, also open its shell at the size that fits. */
  attach(host: HTMLElement): void {
    if (this.disposed) return
    host.appendChild(this.element)
    if (!this.opened) {
      this.term.open(this.element)
      this.opened = true
    } else {
      // Re-attached after a view switch: repaint what was written while away.
      this.term.refresh(0, this.term.rows - 1)
    }
    this.fit()
    this.resizeObserver = new ResizeObserver(() => this.scheduleFit())
    this.resizeObserver.observe(host)
    if (!this.startRequested) {
      this.startRequested = true
      void this.start()
    }
  }

  detach(): void {
    this.resizeObserver?.disconnect()
    this.resizeObserver = undefined
    cancelAnimationFrame(this.fitFrame)
    this.element.remove()
  }

  /** Put text at the prompt as if typed (no Enter: the user runs or edits it). */
  paste(text: string): void {
    this.type(text)
  }

  focus(): void {
    if (this.opened) this.term.focus()
  }

  setTheme(theme: AppliedTheme): void {
    this.term.options.theme = terminalTheme(theme)
  }

  /** Output from the host; acknowledged once xterm has parsed it, which is what flow control is about. */
  receive(data: string): void {
    this.term.write(data, () => this.acks.add(data.length))
  }

  /** The shell ended on the host. */
  exited(exitCode: number): void {
    if (this.status === 'exited' || this.status === 'failed') return
    this.end('exited', `[process exited with code ${exitCode}]`)
    this.callbacks.ended('exited', exitCode)
  }

  /** The link to the host dropped; the host closes a client's shells when its connection goes. */
  connectionLost(): void {
    if (this.status !== 'running') return
    this.end('exited', '[the connection to the host was lost; this shell was closed]')
    this.callbacks.ended('exited')
  }

  /** Close the tab: kill the shell (if it still runs) and free the terminal. */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    if (this.id && this.status === 'running') {
      void api.call('terminal.close', { id: this.id }).catch(reportUnlessGone('Could not close the terminal'))
    }
    this.status = 'exited'
    this.acks.cancel()
    clearTimeout(this.resizeTimer)
    this.detach()
    this.term.dispose()
  }

  private async start(): Promise<void> {
    const size = { cols: clamp(this.term.cols, COLS), rows: clamp(this.term.rows, ROWS) }
    let info: TerminalInfo
    try {
      info = await api.call('terminal.open', size)
    } catch (err) {
      if (this.disposed) return
      this.end('failed', `[could not start a shell: ${errorMessage(err)}]`, 'error')
      this.callbacks.ended('failed')
      reportError('Could not open a terminal', err)
      return
    }
    this.id = info.id
    if (this.disposed) {
      // The tab was closed while the shell was starting: do not leave it running.
      void api.call('terminal.close', { id: info.id }).catch(ignore)
      return
    }
    this.status = 'running'
    this.callbacks.started(info)
    if (this.term.cols !== size.cols || this.term.rows !== size.rows) this.scheduleHostResize(this.term.cols, this.term.rows)
    if (this.typedWhileStarting) {
      const typed = this.typedWhileStarting
      this.typedWhileStarting = ''
      this.type(typed)
    }
  }

  private type(data: string): void {
    if (this.status === 'starting') {
      this.typedWhileStarting += data
      return
    }
    if (this.status !== 'running' || !this.id) return
    const id = this.id
    for (let at = 0; at < data.length; ) {
      let end = Math.min(data.length, at + WRITE_CHUNK)
      // Never cut between the halves of a surrogate pair.
      if (end < data.length && /[\uD800-\uDBFF]/.test(data[end - 1])) end--
      const piece = data.slice(at, end)
      at = end
      void api.call('terminal.write', { id, data: piece }).catch(reportUnlessGone('Could not type into the terminal'))
    }
  }

  private end(status: 'exited' | 'failed', note: string, tone: 'dim' | 'error' = 'dim'): void {
    this.status = status
    this.acks.cancel()
    clearTimeout(this.resizeTimer)
    if (this.disposed) return
    const style = tone === 'error' ? '\x1b[31m' : '\x1b[2m'
    // A fresh line, the note, and the cursor hidden: nothing here takes input any more.
    this.term.write(`\r\n${style}${note}\x1b[0m\r\n\x1b[?25l`)
    this.term.options.disableStdin = true
    this.term.options.cursorBlink = false
  }

  /**
   * Copy and paste the way terminals do: Ctrl+Shift+C/V (Cmd+C/V on macOS), since plain Ctrl+C must
   * still interrupt the shell. Returning false tells xterm to leave the key alone.
   */
  private handleKey(event: KeyboardEvent): boolean {
    if (event.type !== 'keydown') return true
    const key = event.key.toLowerCase()
    const modifier = isMac ? event.metaKey && !event.ctrlKey && !event.shiftKey : event.ctrlKey && event.shiftKey && !event.metaKey
    if (!modifier || event.altKey) return true
    if (key === 'c') {
      event.preventDefault()
      if (this.term.hasSelection()) {
        void copyText(this.term.getSelection()).catch((err) => reportError('Could not copy', err))
      }
      return false
    }
    if (key === 'v') {
      // Let the browser run its own paste: it fires a `paste` event that xterm turns into input
      // (bracketed if the shell asked). That needs no clipboard permission, which navigator.clipboard
      // would (a prompt in browsers, refused by the desktop shell's permission handler).
      return false
    }
    return true
  }

  private fit(): void {
    if (this.disposed || !this.element.isConnected || this.element.clientWidth === 0) return
    const proposed = this.fitAddon.proposeDimensions()
    if (!proposed || !Number.isFinite(proposed.cols) || !Number.isFinite(proposed.rows)) return
    if (proposed.cols === this.term.cols && proposed.rows === this.term.rows) return
    this.term.resize(clamp(proposed.cols, COLS), clamp(proposed.rows, ROWS))
  }

  private scheduleFit(): void {
    cancelAnimationFrame(this.fitFrame)
    this.fitFrame = requestAnimationFrame(() => this.fit())
  }

  private scheduleHostResize(cols: number, rows: number): void {
    clearTimeout(this.resizeTimer)
    this.resizeTimer = setTimeout(() => {
      if (this.id && this.status === 'running') {
        void api.call('terminal.resize', { id: this.id, cols, rows }).catch(ignore)
      }
    }, RESIZE_SETTLE_MS)
  }
}

/**
 * A shell that ended, or a link that dropped, between a call and its answer is not worth a toast:
 * the tab already says the process exited, the status bar says the host is unreachable.
 */
function reportUnlessGone(action: string): (err: unknown) => void {
  return (err) => {
    if (!isCallError(err, 'not_found') && !isCallError(err, 'unavailable')) reportError(action, err)
  }
}

/** Acks and resizes of a shell that is gone: nothing to tell anyone. */
function ignore(): void {}
