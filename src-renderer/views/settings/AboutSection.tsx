import type { EngineStatus } from '../../../src-main/api/contract'
import { useSystem } from '../../stores/system'
import { Section } from './Section'

export function AboutSection() {
  const info = useSystem((s) => s.info)
  if (!info) {
    return (
      <Section title="About">
        <p className="muted">Asking the host…</p>
      </Section>
    )
  }
  const runtime = [`Node ${info.runtime.node}`, info.runtime.electron && `Electron ${info.runtime.electron}`].filter(Boolean).join(' · ')
  return (
    <Section title="About" testId="about">
      <dl className="facts">
        <dt>Version</dt>
        <dd data-testid="about-version">
          {info.product} {info.version}
        </dd>
        <dt>Runtime</dt>
        <dd>{runtime}</dd>
        <dt>Platform</dt>
        <dd>{info.platform}</dd>
        <dt>Protocol</dt>
        <dd>
          v{info.activeProtocolVersion} (supports {info.protocolVersions.map((v) => `v${v}`).join(', ')})
        </dd>
      </dl>
      <h3 className="subheading">Engines</h3>
      <ul className="engine-list" data-testid="engine-list">
        {info.engines.map((engine) => (
          <EngineRow key={engine.id} engine={engine} />
        ))}
      </ul>
    </Section>
  )
}

function EngineRow({ engine }: { engine: EngineStatus }) {
  return (
    <li className="engine" data-engine={engine.id} data-ready={engine.ready}>
      <div className="engine-text">
        <span className="engine-name">{engine.name}</span>
        <span className="engine-detail">{engine.detail}</span>
      </div>
      {engine.ready ? (
        <span className="badge badge-ok">Ready</span>
      ) : (
        <span className="badge">Not built yet{engine.issue !== undefined ? ` · #${engine.issue}` : ''}</span>
      )}
    </li>
  )
}
