import { useEffect, useState } from 'react'
import { api } from '../api/client'
import { useConnection } from '../stores/connection'
import { useFleet } from '../stores/fleet'
import { reportError, reportInfo } from '../stores/toasts'
import { DeploymentsCard } from './fleet/DeploymentsCard'
import { DeviceTable } from './fleet/DeviceTable'
import { FleetMap } from './fleet/FleetMap'
import { PlacementCard } from './fleet/PlacementCard'

/** Load and heartbeats change all the time: re-read this often; failures and deployments arrive as events. */
const REFRESH_MS = 5_000

export function FleetView() {
  const connected = useConnection((s) => s.state === 'connected')
  const refresh = useFleet((s) => s.refresh)
  useEffect(() => {
    if (!connected) return
    const load = () => void refresh().catch((err) => reportError('Could not load the fleet', err))
    load()
    const timer = setInterval(load, REFRESH_MS)
    const off = api.on('edge', load)
    // An agent connecting joins the device list at once (one leaving arrives as an edge failure).
    const offProtocol = api.on('protocol', ({ kind }) => {
      if (kind === 'connect') load()
    })
    return () => {
      clearInterval(timer)
      off()
      offProtocol()
    }
  }, [connected, refresh])
  return (
    <div className="fleet" data-testid="fleet-view">
      <Summary />
      <DemoOffer />
      <div className="columns fleet-columns">
        <div className="fleet-column">
          <FleetMap />
          <DeviceTable />
        </div>
        <div className="fleet-column">
          <PlacementCard />
          <DeploymentsCard />
        </div>
      </div>
    </div>
  )
}

const DEMO_AGENTS = 6

/** An empty fleet on first run: one click starts real local agents, so there is something to operate. */
function DemoOffer() {
  const empty = useFleet((s) => s.loaded && s.devices.length === 0)
  const refresh = useFleet((s) => s.refresh)
  const [starting, setStarting] = useState(false)
  if (!empty) return null
  const start = async () => {
    setStarting(true)
    try {
      const r = await api.call('edge.demo.start', { agents: DEMO_AGENTS })
      reportInfo(`Starting ${r.agents.length} demo agents; they connect to ${r.address} in a few seconds`)
      await refresh()
    } catch (err) {
      reportError('Could not start the demo fleet', err)
    } finally {
      setStarting(false)
    }
  }
  return (
    <section className="card fleet-demo" data-testid="fleet-demo-offer" aria-label="Demo fleet">
      <div>
        <h2>No devices yet</h2>
        <p className="faint">
          Edge devices join when a <code>dwcp agent</code> connects (the Protocol view gives the command), or with <code>dwcp edge register</code>. To look around first, start{' '}
          {DEMO_AGENTS} real agent processes on this machine, spread over regions and sizes; they stop with the app.
        </p>
      </div>
      <button type="button" className="btn btn-primary" data-testid="fleet-demo-start" disabled={starting} onClick={() => void start()}>
        {starting ? 'Starting…' : 'Start a demo fleet'}
      </button>
    </section>
  )
}

function Summary() {
  const devices = useFleet((s) => s.devices)
  const deployments = useFleet((s) => s.deployments)
  const count = (state: string) => devices.filter((d) => d.state === state).length
  const regions = new Set(devices.map((d) => d.region)).size
  const clusters = new Set(devices.map((d) => d.cluster)).size
  return (
    <div className="fleet-summary" data-testid="fleet-summary">
      <span><strong>{devices.length}</strong> devices</span>
      <span className="fleet-ok"><strong>{count('online')}</strong> online</span>
      {count('degraded') > 0 && <span className="fleet-warn"><strong>{count('degraded')}</strong> degraded</span>}
      <span className={count('offline') ? 'fleet-bad' : 'faint'}><strong>{count('offline')}</strong> offline</span>
      <span className="faint">{regions} regions · {clusters} clusters</span>
      <span><strong>{deployments.length}</strong> deployments</span>
    </div>
  )
}
