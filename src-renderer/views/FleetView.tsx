import { useEffect } from 'react'
import { api } from '../api/client'
import { useConnection } from '../stores/connection'
import { useFleet } from '../stores/fleet'
import { reportError } from '../stores/toasts'
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
    return () => {
      clearInterval(timer)
      off()
    }
  }, [connected, refresh])
  return (
    <div className="fleet" data-testid="fleet-view">
      <Summary />
      <div className="fleet-columns">
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
