import { useState, type FormEvent } from 'react'
import type { EdgeRequirements } from '../../../src-main/api/contract'
import { api } from '../../api/client'
import { useFleet } from '../../stores/fleet'

const STRATEGIES = ['intelligent', 'latency', 'capacity', 'bandwidth', 'cost'] as const
const PARTS = ['latency', 'capacity', 'bandwidth', 'cost'] as const

/** Ask where replicas would go, without deploying: each answer comes with its score breakdown and reason. */
export function PlacementCard() {
  const placement = useFleet((s) => s.placement)
  const error = useFleet((s) => s.placementError)
  const setPlacement = useFleet((s) => s.setPlacement)
  const [strategy, setStrategy] = useState<(typeof STRATEGIES)[number]>('intelligent')
  const [replicas, setReplicas] = useState('2')
  const [memory, setMemory] = useState('1024')
  const [maxLatency, setMaxLatency] = useState('')
  const [region, setRegion] = useState('')
  const [origin, setOrigin] = useState('')
  const [busy, setBusy] = useState(false)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const requirements: EdgeRequirements = { ...(memory ? { memoryMb: Number(memory) } : {}), ...(maxLatency ? { maxLatencyMs: Number(maxLatency) } : {}), ...(region ? { region } : {}) }
    if (origin) {
      const [lat, lon] = origin.split(',').map(Number)
      requirements.origin = { lat, lon }
    }
    setBusy(true)
    try {
      setPlacement(await api.call('edge.place', { requirements, strategy, replicas: Number(replicas) || 1 }))
    } catch (err) {
      setPlacement(null, (err as Error).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" data-testid="fleet-placement">
      <header className="card-header">
        <h2>Explain a placement</h2>
        <p className="card-hint">Where replicas would go and why; nothing is deployed. A latency budget of 50 ms or less keeps them on the edge.</p>
      </header>
      <div className="card-body">
        <form className="fleet-place-form" onSubmit={submit}>
          <label>
            Strategy
            <select value={strategy} onChange={(e) => setStrategy(e.target.value as typeof strategy)} data-testid="fleet-place-strategy">
              {STRATEGIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            Replicas
            <input inputMode="numeric" value={replicas} onChange={(e) => setReplicas(e.target.value)} size={3} />
          </label>
          <label>
            Memory MB
            <input inputMode="numeric" value={memory} onChange={(e) => setMemory(e.target.value)} size={6} />
          </label>
          <label>
            Max latency ms
            <input inputMode="numeric" value={maxLatency} onChange={(e) => setMaxLatency(e.target.value)} size={5} data-testid="fleet-place-latency" />
          </label>
          <label>
            Region
            <input value={region} onChange={(e) => setRegion(e.target.value)} size={10} placeholder="any" />
          </label>
          <label>
            Users at lat,lon
            <input value={origin} onChange={(e) => setOrigin(e.target.value)} size={14} placeholder="37.77,-122.42" data-testid="fleet-place-origin" />
          </label>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="fleet-place-submit">
            Explain
          </button>
        </form>
        {error && (
          <p className="fleet-place-error" role="alert" data-testid="fleet-place-error">
            {error}
          </p>
        )}
        {placement && (
          <ol className="fleet-placed" data-testid="fleet-placed">
            {placement.replicas.map((r) => (
              <li key={r.replica} data-testid="fleet-placed-replica">
                <div className="fleet-placed-head">
                  <strong>{r.deviceName}</strong>
                  <span className="badge">{r.location}</span>
                  <span className="faint">
                    {r.estimatedLatencyMs} ms ({r.latency.geoMs} distance + {r.latency.rttMs} RTT)
                  </span>
                  <span className="fleet-total">score {r.score.total.toFixed(2)}</span>
                </div>
                <div className="fleet-bars">
                  {PARTS.map((p) => (
                    <span key={p} className="fleet-bar" title={`${p} ${r.score[p]}`}>
                      <span className="fleet-bar-label">{p}</span>
                      <span className="fleet-bar-track">
                        <span className="fleet-bar-fill" style={{ width: `${Math.round(r.score[p] * 100)}%` }} />
                      </span>
                    </span>
                  ))}
                </div>
                <p className="fleet-reason-full">{r.reason}</p>
              </li>
            ))}
          </ol>
        )}
      </div>
    </section>
  )
}
