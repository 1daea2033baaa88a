/**
 * Ending everything a terminal tab started. node-pty makes the shell a session leader, so every
 * process started in the tab shares its session id (the shell's pid) unless it calls setsid()
 * itself: background jobs (`sleep 1000 &`, each in its own process group under job control) and
 * `nohup` ones (which ignore SIGHUP) included. On Linux the session's members are found in /proc;
 * elsewhere only the shell's process group is reached.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** Pids of the processes whose session id is `sid` (Linux; empty where /proc cannot be read). */
export function sessionMembers(sid: number): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  const members: number[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(Number(entry))
    if (stat && stat.session === sid) members.push(Number(entry))
  }
  return members
}

/** Session and process group of `pid` from /proc/<pid>/stat, or null when it is gone. */
export function readStat(pid: number): { ppid: number; pgrp: number; session: number } | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name (field 2) may hold spaces and parentheses: the fields we want follow the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const [ppid, pgrp, session] = [Number(fields[1]), Number(fields[2]), Number(fields[3])]
  return Number.isInteger(session) ? { ppid, pgrp, session } : null
}

/**
 * Send `signal` to every process of the session `leader` leads and, while the leader itself still
 * runs (`leaderAlive`), to it and its process group. Once it has exited its pid may be reused, so
 * then only processes still in its session are signalled.
 */
export function signalSession(leader: number, signal: NodeJS.Signals, leaderAlive: boolean): void {
  const targets = new Set([...(leaderAlive ? [-leader, leader] : []), ...sessionMembers(leader)])
  for (const target of targets) {
    if (target === process.pid) continue // never ourselves, whatever /proc says
    try {
      process.kill(target, signal)
    } catch {
      /* already gone, or not ours */
    }
  }
}
