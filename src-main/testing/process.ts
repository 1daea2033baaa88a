import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Is a process with this id still running? (signal 0 checks without sending anything) */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * CPU time a process (all its threads) has used so far, in seconds, from Linux's /proc. It climbs at up
 * to a second per second while the process computes, and barely moves while it waits: a way to see
 * that a request has reached a process and is running there, without guessing how long that takes.
 */
export function cpuSeconds(pid: number): number {
  const afterName = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ')
  // Fields 14 and 15 of proc(5), utime and stime, in clock ticks of 1/100 s.
  return (Number(afterName[11]) + Number(afterName[12])) / 100
}

/** Stops a `dwcp fleet demo` and, in case it dies before its agents, the agent processes it started. */
export function killAll(demo: ChildProcess, pids: number[]): void {
  demo.kill('SIGTERM')
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone already
    }
  }
}
