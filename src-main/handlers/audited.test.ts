import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createHost, type Host } from '../host'
import { recordingContext } from '../testing/context'
import { tempHome } from '../testing/home'

let host: Host | undefined
afterEach(async () => {
  await host?.close()
  host = undefined
})

describe('audited changes', () => {
  it('commits a database change and its entry together, and makes none when the entry cannot be written', async () => {
    const home = tempHome()
    host = createHost({ home, shell: 'cli' })
    const { ctx } = recordingContext()
    const heard: string[] = []
    host.audit.log.onAppend((entries) => heard.push(...entries.map((e) => `${e.action}:${e.outcome}`)))
    await host.call('release.flags.set', { name: 'atomic', enabled: true }, ctx)
    expect(heard).toEqual(['release.flag.set:ok'])
    for (const rollout of [10, 20, 30]) await host.call('release.flags.set', { name: 'atomic', rollout }, ctx)

    // Remove a middle entry behind the triggers, from another connection, while this host runs.
    const attacker = new Database(join(home, 'dwcp.db'))
    attacker.exec('DROP TRIGGER audit_entries_no_delete; DELETE FROM audit_entries WHERE seq = 1')
    attacker.close()

    const size = host.audit.log.size
    await expect(host.call('release.flags.set', { name: 'atomic', rollout: 99 }, ctx)).rejects.toThrow(/not done: .*audit log is damaged: .*1 were removed/)
    // Nothing changed, the in-memory copy of the flags included, and no listener heard of it.
    expect(host.release.flags.get('atomic')).toMatchObject({ rollout: 30 })
    expect(host.audit.log.size).toBe(size - 1)
    expect(heard.filter((h) => h.endsWith(':ok'))).toHaveLength(4)
  })

  it('writes a started entry before a change that reaches outside the database, then its outcome', async () => {
    const home = tempHome()
    host = createHost({ home, shell: 'cli' })
    const { ctx } = recordingContext()
    await host.call('backup.create', {}, ctx)
    const trail = host.audit.log.query({ action: 'backup.create' }).reverse()
    expect(trail.map((e) => e.outcome)).toEqual(['started', 'ok'])
    expect(JSON.parse(trail[1].details)).toMatchObject({ startedEntry: trail[0].seq })
  })
})
