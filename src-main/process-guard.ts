/**
 * What a long-running shell (`dwcp serve`, the Electron main process, `dwcp agent`) does with an error
 * that nothing else caught. Every path from the network contains its own errors (the protocol peer
 * answers a bad frame with a typed refusal); this is the last line, for the bugs that slip past.
 *
 * - A promise rejected with nobody listening: the async work it belonged to is over, and nothing else
 *   was unwound. It is logged and the process keeps serving.
 * - An exception that unwound the stack from an unknown place: what it left half-done is unknown. It
 *   is logged, one line goes to stderr, what is open is closed (within CLOSE_TIMEOUT_MS), and the
 *   process exits with code 1 — a supervisor restarts a clean one.
 *
 * Messages go through the secret redaction before they are written anywhere.
 */
import { join } from 'node:path'
import { redactText } from './redact'
import type { Logger } from './log'

/** How long closing may take after a fatal error before the process exits anyway. */
export const CLOSE_TIMEOUT_MS = 5_000

/** Enrolment tokens are secrets too, of a shape the general redaction does not know. */
const ENROLMENT_TOKEN = /dwcp-enrol-[A-Za-z0-9_-]+/g

export interface ProcessGuardOptions {
  /** The process as the one-line message names it: `dwcp serve`. */
  name: string
  /** The host's logger, once there is one. */
  logger?: () => Logger | undefined
  /** Close what is open (the server, the host) before a fatal exit. */
  close?: () => Promise<void>
  /** The data folder, whose log (logs/dwcp.log, see log.ts) holds the details the one-line message points to. */
  home?: string
  exit?: (code: number) => void
  stderr?: (line: string) => void
}

export interface ProcessGuard {
  /** Unhandled rejections logged so far (the process kept serving). */
  readonly contained: number
  uninstall(): void
}

export const scrub = (text: string): string => redactText(text).replace(ENROLMENT_TOKEN, 'dwcp-enrol-[redacted]')

function describe(err: unknown): { message: string; stack?: string } {
  if (err instanceof Error) return { message: scrub(err.message), ...(err.stack ? { stack: scrub(err.stack) } : {}) }
  return { message: scrub(String(err)) }
}

export function installProcessGuard(o: ProcessGuardOptions): ProcessGuard {
  const exit = o.exit ?? ((code: number) => process.exit(code))
  const stderr = o.stderr ?? ((line: string) => void process.stderr.write(line))
  let contained = 0
  let stopping = false

  const log = (level: 'error' | 'fatal', details: Record<string, unknown>, message: string) => {
    try {
      o.logger?.()?.[level](details, message)
    } catch {
      // A log that cannot be written must not turn one error into two.
    }
  }

  const onRejection = (reason: unknown) => {
    contained++
    log('error', { err: describe(reason) }, 'unhandled promise rejection; contained, still serving')
  }

  const onException = (err: unknown) => {
    const d = describe(err)
    if (stopping) {
      // A second failure while closing: stop waiting for the first close.
      log('fatal', { err: d }, 'uncaught exception while stopping')
      return exit(1)
    }
    stopping = true
    log('fatal', { err: d }, 'uncaught exception; stopping')
    const where = o.home ? join(o.home, 'logs', 'dwcp.log') : undefined
    stderr(`${o.name}: stopping after an internal error: ${d.message.split('\n')[0]}${where ? ` (details in ${where})` : ''}\n`)
    const timer = setTimeout(() => exit(1), CLOSE_TIMEOUT_MS)
    timer.unref()
    void Promise.resolve()
      .then(() => o.close?.())
      .catch((closeErr: unknown) => log('error', { err: describe(closeErr) }, 'closing after the uncaught exception failed'))
      .finally(() => {
        clearTimeout(timer)
        exit(1)
      })
  }

  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)
  return {
    get contained() {
      return contained
    },
    uninstall() {
      process.off('unhandledRejection', onRejection)
      process.off('uncaughtException', onException)
    },
  }
}
