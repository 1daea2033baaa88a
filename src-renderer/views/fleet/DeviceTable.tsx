import { useVirtualizer } from '@tanstack/react-virtual'
import { useRef, type KeyboardEvent } from 'react'
import { useFleet } from '../../stores/fleet'

const ROW_HEIGHT = 32
const COLUMNS = ['Device', 'State', 'Tier', 'Region / cluster', 'CPU', 'Memory', 'Load', 'RTT', '$/h'] as const

/** Every device, however many: only the rows in view are in the page. */
export function DeviceTable() {
  const devices = useFleet((s) => s.devices)
  const selected = useFleet((s) => s.selected)
  const select = useFleet((s) => s.select)
  const scroller = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({ count: devices.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 })
  const index = devices.findIndex((d) => d.id === selected)
  const move = (event: KeyboardEvent) => {
    const step = event.key === 'ArrowDown' ? 1 : event.key === 'ArrowUp' ? -1 : 0
    if (step === 0 || devices.length === 0) return
    event.preventDefault()
    const next = Math.min(devices.length - 1, Math.max(0, index + step))
    select(devices[next].id)
    virtualizer.scrollToIndex(next)
  }
  return (
    <section className="card fleet-devices" data-testid="fleet-devices">
      <header className="card-header">
        <h2>Devices</h2>
        <p className="card-hint">{devices.length === 0 ? 'None registered yet: `dwcp edge register` adds one; agents add themselves once connected.' : `${devices.length} devices. ↑ ↓ move the selection.`}</p>
      </header>
      <div className="fleet-table" role="grid" aria-rowcount={devices.length + 1} tabIndex={0} onKeyDown={move} data-testid="fleet-device-grid">
        <div className="fleet-row fleet-head" role="row">
          {COLUMNS.map((c) => (
            <span key={c} role="columnheader">
              {c}
            </span>
          ))}
        </div>
        <div className="fleet-scroll" ref={scroller}>
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const d = devices[item.index]
              return (
                <div
                  key={d.id}
                  role="row"
                  aria-rowindex={item.index + 2}
                  aria-selected={d.id === selected}
                  className={`fleet-row${d.id === selected ? ' fleet-row-selected' : ''}`}
                  style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                  onClick={() => select(d.id)}
                  data-testid="fleet-device-row"
                  data-device={d.id}
                >
                  <span className="fleet-name" title={d.id}>{d.name}</span>
                  <span><span className={`badge fleet-state-${d.state}`}>{d.state}</span></span>
                  <span>{d.tier}</span>
                  <span className="fleet-muted" title={`${d.region} / ${d.cluster}`}>{d.region} / {d.cluster}</span>
                  <span className="numeric">{d.used.cpu ? `${d.used.cpu}/` : ''}{d.cpu}</span>
                  <span className="numeric">{d.used.memoryMb ? `${gb(d.used.memoryMb)}/` : ''}{gb(d.memoryMb)} GB</span>
                  <span className="numeric">{Math.round(d.load * 100)}%</span>
                  <span className="numeric">{d.rttMs === null ? '—' : `${d.rttMs < 10 ? d.rttMs.toFixed(1) : Math.round(d.rttMs)} ms`}</span>
                  <span className="numeric">{d.costPerHour.toFixed(2)}</span>
                </div>
              )
            })}
          </div>
        </div>
      </div>
    </section>
  )
}

const gb = (mb: number) => Math.round((mb / 1024) * 10) / 10
