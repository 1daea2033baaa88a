import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createHost, type Host } from '../host'
import { recordingContext, waitFor } from '../testing/context'
import { tempHome } from '../testing/home'
import { HIGH_WATER, takeChunk } from './index'
import { alive } from '../testing/process'
import { readStat } from './process-tree'

/** Running, not a zombie left for a parent (or an init that does not reap) to collect. */
function running(pid: number): boolean {
  if (!readStat(pid)) return false
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

function setup(): { host: Host; ctx: ReturnType<typeof recordingContext>['ctx']; output: (id: string) => string; received: ReturnType<typeof recordingContext>['received'] } {
  const home = tempHome()
  const host = createHost({ home, shell: 'test' })
  const { ctx, received } = recordingContext()
  const output = (id: string) => received.filter((r) => r.event === 'terminal:data' && r.data.id === id).map((r) => r.data.data).join('')
  return { host, ctx, output, received }
}

describe('terminal on a real pty', () => {
  it('runs the shell, echoes what is typed, and has dwcp on its PATH', async () => {
    const { host, ctx, output } = setup()
    const info = (await host.call('terminal.open', { cols: 100, rows: 30 }, ctx)) as { id: string; pid: number }
    await host.call('terminal.write', { id: info.id, data: 'echo hello-from-$((6*7))\r' }, ctx)
    await waitFor(() => output(info.id).includes('hello-from-42'), 'echo output')
    await host.call('terminal.write', { id: info.id, data: 'dwcp --version; echo "home=$DWCP_HOME"\r' }, ctx)
    const text = await waitFor(() => output(info.id).includes(`home=${host.home}`) && output(info.id), 'dwcp --version')
    expect(text).toMatch(/dwcp \d+\.\d+\.\d+ \(protocol 4\.0\.0, 3\.0\.0\)/)
    expect(text).toContain(`home=${host.home}`)
    await host.close()
  })

  it('resizes the pty', async () => {
    const { host, ctx, output } = setup()
    const { id } = (await host.call('terminal.open', { cols: 80, rows: 24 }, ctx)) as { id: string }
    await host.call('terminal.resize', { id, cols: 132, rows: 43 }, ctx)
    await host.call('terminal.write', { id, data: 'stty size\r' }, ctx)
    await waitFor(() => output(id).includes('43 132'), 'stty size after resize')
    await host.close()
  })

  it('kills the process when its tab is closed, and when its client goes away', async () => {
    const { host, ctx, received } = setup()
    const a = (await host.call('terminal.open', { cols: 80, rows: 24 }, ctx)) as { id: string; pid: number }
    const b = (await host.call('terminal.open', { cols: 80, rows: 24 }, ctx)) as { id: string; pid: number }
    expect((await host.call('terminal.list', {}, ctx)) as unknown[]).toHaveLength(2)
    await host.call('terminal.close', { id: a.id }, ctx)
    await waitFor(() => !alive(a.pid), 'the closed tab’s shell to end')
    expect(alive(b.pid)).toBe(true)
    host.dropClient(ctx.clientId)
    await waitFor(() => !alive(b.pid), 'the dropped client’s shell to end')
    await waitFor(() => received.some((r) => r.event === 'terminal:exit' && r.data.id === b.id), 'exit event')
    await host.close()
  })

  it('ends the background and nohup children of a tab with it, when the tab closes and when its client goes away', async () => {
    const { host, ctx, output } = setup()
    const startChildren = async (id: string) => {
      // A job-control background job, a nohup one (ignores SIGHUP) and one orphaned by a subshell.
      await host.call('terminal.write', { id, data: 'sleep 1000 & echo "bg=$!"; nohup sleep 1001 >/dev/null 2>&1 & echo "nohup=$!"; (sleep 1002 & echo "orphan=$!")\r' }, ctx)
      const text = await waitFor(() => /orphan=\d+/.test(output(id)) && output(id), 'the children’s pids')
      const pids = ['bg', 'nohup', 'orphan'].map((name) => Number(new RegExp(`${name}=(\\d+)`).exec(text)![1]))
      expect(pids.every(running)).toBe(true)
      return pids
    }
    const a = (await host.call('terminal.open', { cols: 80, rows: 24 }, ctx)) as { id: string; pid: number }
    const inA = await startChildren(a.id)
    await host.call('terminal.close', { id: a.id }, ctx)
    await waitFor(() => !inA.some(running), 'every child of the closed tab to end')

    const b = (await host.call('terminal.open', { cols: 80, rows: 24 }, ctx)) as { id: string; pid: number }
    const inB = await startChildren(b.id)
    host.dropClient(ctx.clientId)
    await waitFor(() => !inB.some(running) && !running(b.pid), 'every child of the dropped client’s tab to end')
    await host.close()
  }, 150_000)

  it('keeps one client out of another client’s terminals', async () => {
    const { host, ctx } = setup()
    const intruder = recordingContext('someone-else').ctx
    const { id } = (await host.call('terminal.open', { cols: 80, rows: 24 }, ctx)) as { id: string }
    await expect(host.call('terminal.write', { id, data: 'rm -rf ~\r' }, intruder)).rejects.toMatchObject({ code: 'not_found' })
    await expect(host.call('terminal.open', { cols: 0, rows: 24 }, ctx)).rejects.toMatchObject({ code: 'bad_request' })
    await host.close()
  })

  it('pauses a flooding program until the screen catches up, in chunks of at most 100 KB', async () => {
    const { host, ctx, output, received } = setup()
    const { id } = (await host.call('terminal.open', { cols: 80, rows: 24 }, ctx)) as { id: string }
    await host.call('terminal.write', { id, data: 'stty -echo; head -c 3000000 /dev/zero | tr "\\0" a; echo; echo FLOOD-$((1+1))-DONE\r' }, ctx)
    // Without acknowledgements the host must stop reading after about HIGH_WATER characters.
    await waitFor(() => output(id).length > HIGH_WATER, 'the first half megabyte')
    await new Promise((r) => setTimeout(r, 300))
    const stalled = output(id).length
    expect(stalled).toBeLessThan(HIGH_WATER + 200_000)
    expect(output(id)).not.toContain('FLOOD-2-DONE')
    expect(Math.max(...received.filter((r) => r.event === 'terminal:data').map((r) => r.data.data.length))).toBeLessThanOrEqual(100_000)
    // Acknowledge as a screen would; the flood then completes.
    let acked = 0
    await waitFor(() => {
      const total = output(id).length
      if (total > acked) {
        void host.call('terminal.ack', { id, chars: total - acked }, ctx)
        acked = total
      }
      return output(id).includes('FLOOD-2-DONE')
    }, 'the flood to finish once acknowledged')
    await host.close()
  })
})

describe('takeChunk', () => {
  it('never splits a surrogate pair', () => {
    const text = 'a'.repeat(9) + '😀' + 'b'
    expect(takeChunk(text, 10)).toBe('a'.repeat(9))
    expect(takeChunk(text, 11)).toBe('a'.repeat(9) + '😀')
    expect(takeChunk('short', 10)).toBe('short')
  })
})
