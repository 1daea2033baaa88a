import { chmodSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'

export type Logger = pino.Logger

/** Anything that may carry a secret is replaced before a log line is written. */
export const REDACTED_PATHS = [
  'apiKey',
  '*.apiKey',
  'input.apiKey',
  'token',
  '*.token',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'cookie',
  'code',
]

/** JSON lines into <home>/logs/dwcp.log; the file is the place to look when something went wrong. */
export function createLogger(home: string, name: string): Logger {
  const dir = join(home, 'logs')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  const file = join(dir, 'dwcp.log')
  // Synchronous: few lines are written, and none may be lost when a command exits right after.
  // Owner-only: the log names paths, agents and errors of this installation.
  const destination = pino.destination({ dest: file, mkdir: true, sync: true, mode: 0o600 })
  chmodSync(file, 0o600)
  return pino({ name, level: process.env.DWCP_LOG_LEVEL ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination)
}
