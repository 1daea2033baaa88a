import { useFleet } from '../../stores/fleet'

/** Deployments with their replicas: where each runs, in what state, and why it was put there. */
export function DeploymentsCard() {
  const deployments = useFleet((s) => s.deployments)
  const focus = useFleet((s) => s.focus)
  const setFocus = useFleet((s) => s.setFocus)
  const select = useFleet((s) => s.select)
  return (
    <section className="card" data-testid="fleet-deployments">
      <header className="card-header">
        <h2>Deployments</h2>
        <p className="card-hint">{deployments.length === 0 ? 'None yet: `dwcp deploy NAME --module trivial --replicas 3` makes one.' : 'Pick one to mark its replicas on the map.'}</p>
      </header>
      <div className="card-body fleet-deployments">
        {deployments.map((d) => (
          <article key={d.name} className={`fleet-deployment${focus === d.name ? ' fleet-deployment-focus' : ''}`} data-testid="fleet-deployment" data-deployment={d.name}>
            <button type="button" className="fleet-deployment-head" onClick={() => setFocus(focus === d.name ? null : d.name)} aria-pressed={focus === d.name}>
              <strong>{d.name}</strong>
              <code>{d.module.startsWith('sha256:') ? `${d.module.slice(0, 15)}…` : d.module}</code>
              <span className="faint">v{d.version}</span>
              <span className="faint">{d.instances.length}/{d.replicas} replicas · {d.strategy}</span>
              <span className={`badge fleet-dep-${d.state}`}>{d.state}</span>
            </button>
            <p className="faint fleet-message">{d.message}</p>
            <ul className="fleet-replicas">
              {d.instances.map((r) => (
                <li key={r.replica} data-testid="fleet-replica">
                  <span className="fleet-replica-id">#{r.replica}</span>
                  <button type="button" className="fleet-link" onClick={() => select(r.deviceId)}>{r.deviceName}</button>
                  <span className="faint">{r.region} · {r.location} · {r.estimatedLatencyMs} ms</span>
                  <span className={`badge fleet-rep-${r.state}`}>{r.state}</span>
                  <span className="fleet-reason faint" title={r.reason}>{r.reason}</span>
                </li>
              ))}
            </ul>
          </article>
        ))}
      </div>
    </section>
  )
}
