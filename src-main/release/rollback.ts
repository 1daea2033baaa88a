/**
 * Rollback to protocol v3 and forward again. A rollback is: a verified backup first (nothing changes
 * if it does not verify), the v4-only flags off, the protocol pinned to v3 and renegotiated with every
 * connected agent, and a record of exactly what was changed, so that rolling forward restores that
 * state and not a guess. Every step is written to the audit log as it happens.
 */
import { createBackup, verifyBackup, type Store } from '../store'
import type { AppendInput } from '../audit'
import { ReleaseError } from './errors'
import type { FlagStore } from './flags'

export const PROTOCOL_V3 = '3.0.0'

export interface AgentRenegotiation {
  agent: string
  /** The version the agent speaks after renegotiating. */
  version: string
  ok: boolean
  error?: string
}

export interface PinOutcome {
  pinned: string | null
  agents: AgentRenegotiation[]
}

/** What the release manager needs from the protocol peer; the host injects the real one. */
export interface ProtocolControl {
  /** Pin every connection to `version` (null: back to normal negotiation) and renegotiate live. */
  pin(version: string | null): Promise<PinOutcome>
}

export interface RollbackRecord {
  id: number
  at: string
  backupFile: string
  flagsTurnedOff: string[]
  protocolBefore: string | null
  agents: AgentRenegotiation[]
  rolledForwardAt: string | null
}

interface RollbackRow {
  id: number
  at: string
  backup_file: string
  flags_turned_off: string
  protocol_before: string | null
  agents: string
  rolled_forward_at: string | null
}

const fromRow = (r: RollbackRow): RollbackRecord => ({
  id: r.id,
  at: r.at,
  backupFile: r.backup_file,
  flagsTurnedOff: JSON.parse(r.flags_turned_off) as string[],
  protocolBefore: r.protocol_before,
  agents: JSON.parse(r.agents) as AgentRenegotiation[],
  rolledForwardAt: r.rolled_forward_at,
})

export interface RollbackOptions {
  store: Store
  flags: FlagStore
  record: (entry: AppendInput) => void
  now: () => number
  protocol?: ProtocolControl
}

export class RollbackController {
  private protocol: ProtocolControl | undefined

  constructor(private readonly options: RollbackOptions) {
    this.protocol = options.protocol
  }

  /** The host wires the protocol peer when it has one (it may be built after the release manager). */
  attachProtocol(protocol: ProtocolControl): void {
    this.protocol = protocol
  }

  /** The version the protocol is pinned to by a rollback, or null. The host re-applies it at start. */
  pinnedVersion(): string | null {
    return (this.options.store.db.prepare(`SELECT value FROM release_state WHERE key = 'protocol_pin'`).pluck().get() as string | undefined) ?? null
  }

  state(): { pinned: string | null; rolledBack: boolean; protocolPeer: boolean; last: RollbackRecord | null } {
    const pinned = this.pinnedVersion()
    return { pinned, rolledBack: pinned === PROTOCOL_V3, protocolPeer: this.protocol !== undefined, last: this.history()[0] ?? null }
  }

  history(): RollbackRecord[] {
    return (this.options.store.db.prepare('SELECT * FROM release_rollbacks ORDER BY id DESC LIMIT 50').all() as RollbackRow[]).map(fromRow)
  }

  async toV3(actor: string): Promise<RollbackRecord> {
    if (this.pinnedVersion() === PROTOCOL_V3) throw new ReleaseError('already rolled back to v3; `dwcp rollforward v4` undoes it', 'conflict')
    const { store, flags } = this.options
    const backup = await createBackup(store, { reason: 'before rollback to v3' })
    const verdict = await verifyBackup(backup.file, store.knownSchema())
    this.step(actor, 'release.rollback.backup', backup.file, verdict.ok ? 'ok' : 'failed', { sha256: backup.sha256, problems: verdict.problems })
    if (!verdict.ok) throw new ReleaseError(`the backup taken before rolling back did not verify (${verdict.problems.join('; ')}); nothing was changed`, 'unavailable')

    const turnedOff = flags.list().filter((f) => f.v4Only && f.enabled).map((f) => f.name)
    for (const name of turnedOff) {
      flags.set(name, { enabled: false })
      this.step(actor, 'release.flag.set', name, 'ok', { enabled: false, reason: 'rollback to v3' })
    }
    const protocolBefore = this.pinnedVersion()
    let outcome: PinOutcome
    try {
      outcome = await this.pin(PROTOCOL_V3)
    } catch (err) {
      // The protocol could not be pinned: put the flags back, so the system stays in one known state.
      for (const name of turnedOff) flags.set(name, { enabled: true })
      this.step(actor, 'release.protocol.pin', PROTOCOL_V3, 'failed', { error: (err as Error).message, flagsRestored: turnedOff })
      throw new ReleaseError(`pinning the protocol to v3 failed (${(err as Error).message}); the flags were turned back on`, 'unavailable')
    }
    this.step(actor, 'release.protocol.pin', PROTOCOL_V3, outcome.agents.every((a) => a.ok) ? 'ok' : 'partial', { agents: outcome.agents, peer: this.protocol ? 'live' : 'none running' })
    const at = new Date(this.options.now()).toISOString()
    const id = store.db.transaction(() => {
      this.setPin(PROTOCOL_V3)
      return Number(
        store.db
          .prepare('INSERT INTO release_rollbacks (at, backup_file, flags_turned_off, protocol_before, agents) VALUES (?, ?, ?, ?, ?)')
          .run(at, backup.file, JSON.stringify(turnedOff), protocolBefore, JSON.stringify(outcome.agents)).lastInsertRowid,
      )
    })()
    return this.require(id)
  }

  /** Undo the latest rollback from its record: the flags it turned off (still off) back on, the pin lifted. */
  async toV4(actor: string): Promise<RollbackRecord & { flagsTurnedOn: string[] }> {
    const last = this.history().find((r) => r.rolledForwardAt === null)
    if (!last || this.pinnedVersion() !== PROTOCOL_V3) throw new ReleaseError('not rolled back: the protocol is not pinned to v3', 'conflict')
    const outcome = await this.pin(last.protocolBefore)
    this.step(actor, 'release.protocol.pin', last.protocolBefore ?? 'negotiated', outcome.agents.every((a) => a.ok) ? 'ok' : 'partial', { agents: outcome.agents, peer: this.protocol ? 'live' : 'none running' })
    const { flags, store } = this.options
    // Only flags still off come back: one someone deleted or changed since is left as they left it.
    const flagsTurnedOn = last.flagsTurnedOff.filter((name) => flags.get(name)?.enabled === false)
    for (const name of flagsTurnedOn) {
      flags.set(name, { enabled: true })
      this.step(actor, 'release.flag.set', name, 'ok', { enabled: true, reason: 'roll forward to v4' })
    }
    store.db.transaction(() => {
      this.setPin(last.protocolBefore)
      store.db.prepare('UPDATE release_rollbacks SET rolled_forward_at = ? WHERE id = ?').run(new Date(this.options.now()).toISOString(), last.id)
    })()
    return { ...this.require(last.id), agents: outcome.agents, flagsTurnedOn }
  }

  private async pin(version: string | null): Promise<PinOutcome> {
    if (!this.protocol) return { pinned: version, agents: [] }
    return this.protocol.pin(version)
  }

  private setPin(version: string | null): void {
    const db = this.options.store.db
    if (version === null) db.prepare(`DELETE FROM release_state WHERE key = 'protocol_pin'`).run()
    else db.prepare(`INSERT INTO release_state (key, value) VALUES ('protocol_pin', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(version)
  }

  private require(id: number): RollbackRecord {
    return fromRow(this.options.store.db.prepare('SELECT * FROM release_rollbacks WHERE id = ?').get(id) as RollbackRow)
  }

  private step(actor: string, action: string, target: string, outcome: string, details: unknown): void {
    this.options.record({ actor, action, target, outcome, safety: 'dangerous', details })
  }
}
