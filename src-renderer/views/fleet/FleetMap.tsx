import { useMemo } from 'react'
import { useFleet } from '../../stores/fleet'

/** Equirectangular map drawn here: graticule, equator and the devices; no tiles, nothing fetched. */
const WIDTH = 720
const HEIGHT = 360
const x = (lon: number) => ((lon + 180) / 360) * WIDTH
const y = (lat: number) => ((90 - lat) / 180) * HEIGHT

export function FleetMap() {
  const devices = useFleet((s) => s.devices)
  const selected = useFleet((s) => s.selected)
  const select = useFleet((s) => s.select)
  const placement = useFleet((s) => s.placement)
  const focus = useFleet((s) => s.deployments.find((d) => d.name === s.focus) ?? null)
  const marked = useMemo(() => {
    const ids = new Map<string, string>()
    for (const r of placement?.replicas ?? []) ids.set(r.deviceId, `placed replica ${r.replica}`)
    for (const r of focus?.instances ?? []) ids.set(r.deviceId, `${focus!.name} #${r.replica}`)
    return ids
  }, [placement, focus])
  return (
    <section className="card fleet-map-card" data-testid="fleet-map">
      <header className="card-header">
        <h2>Map</h2>
        <p className="card-hint">Devices by latitude and longitude. Rings mark the replicas of the placement or deployment you picked.</p>
      </header>
      <div className="card-body">
        <svg className="fleet-map" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${devices.length} devices on a world map`}>
          <rect x={0} y={0} width={WIDTH} height={HEIGHT} className="fleet-map-sea" />
          {Array.from({ length: 11 }, (_, i) => -150 + i * 30).map((lon) => (
            <line key={`m${lon}`} x1={x(lon)} x2={x(lon)} y1={0} y2={HEIGHT} className="fleet-map-grid" />
          ))}
          {[-60, -30, 30, 60].map((lat) => (
            <line key={`p${lat}`} x1={0} x2={WIDTH} y1={y(lat)} y2={y(lat)} className="fleet-map-grid" />
          ))}
          <line x1={0} x2={WIDTH} y1={y(0)} y2={y(0)} className="fleet-map-equator" />
          {devices.map((d) => (
            <circle
              key={d.id}
              cx={x(d.lon)}
              cy={y(d.lat)}
              r={d.id === selected ? 5 : 2.6}
              className={`fleet-dot fleet-dot-${d.state} fleet-dot-${d.tier}${d.id === selected ? ' fleet-dot-selected' : ''}`}
              onClick={() => select(d.id)}
            >
              <title>{`${d.name} · ${d.region} · ${d.state}`}</title>
            </circle>
          ))}
          {devices
            .filter((d) => marked.has(d.id))
            .map((d) => (
              <circle key={`ring-${d.id}`} cx={x(d.lon)} cy={y(d.lat)} r={8} className="fleet-ring" data-testid="fleet-map-ring">
                <title>{`${marked.get(d.id)} on ${d.name}`}</title>
              </circle>
            ))}
        </svg>
        <div className="fleet-legend faint">
          <span><i className="fleet-key fleet-dot-online" /> online</span>
          <span><i className="fleet-key fleet-dot-degraded" /> degraded</span>
          <span><i className="fleet-key fleet-dot-offline" /> offline</span>
          <span><i className="fleet-key fleet-key-cloud" /> cloud (outlined)</span>
        </div>
      </div>
    </section>
  )
}
