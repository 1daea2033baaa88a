/**
 * The demo fleet from the UI (the Fleet view offers it when there are no devices yet): the same
 * agent processes as `dwcp fleet demo`, started by the console itself, which knows its own address and
 * enrols them with tokens it issues. They stop with the console.
 */
import type { orchestratorMethods } from '../api/contracts/orchestrator'
import type { HandlersFor } from '../api/dispatch'
import { demoEnrolmentTokens, startDemoFleet } from '../fleet-demo'
import { ProtocolError, type ProtocolConsole } from '../protocol'
import type { Audited } from './audited'

/** The one demo fleet a console runs at a time. */
export class DemoFleetHolder {
  fleet: ReturnType<typeof startDemoFleet> | undefined
  async stop(): Promise<number> {
    const running = this.fleet
    this.fleet = undefined
    if (!running) return 0
    await running.stop()
    return running.agents.length
  }
}

export function demoFleetHandlers({ home, protocol, audited, demo }: { home: string; protocol: ProtocolConsole; audited: Audited; demo: DemoFleetHolder }): HandlersFor<'edge.demo.start' | 'edge.demo.stop'> {
  return {
    'edge.demo.start': ({ agents }, ctx) =>
      audited(ctx, { action: 'edge.demo.start', target: `${agents} agents`, safety: 'caution' }, async () => {
        const at = protocol.listening
        if (!at) throw new ProtocolError('not_allowed', 'this console is not listening for agents, so a demo fleet could not connect (start it with `dwcp serve`, or restart the app)')
        await demo.stop()
        const address = `${at.host}:${at.port}`
        demo.fleet = startDemoFleet({ home, address, count: agents, tokens: demoEnrolmentTokens(protocol, agents) })
        return { address, agents: demo.fleet.agents.map((a) => a.spec.name) }
      }),
    'edge.demo.stop': (_input, ctx) => audited(ctx, { action: 'edge.demo.stop', target: 'demo fleet', safety: 'caution' }, async () => ({ stopped: await demo.stop() })),
  }
}
