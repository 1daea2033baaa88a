import type { ConnectionState } from '../api/client'
import { api } from '../api/client'
import { truncateMiddle } from '../lib/format'
import { useConnection } from '../stores/connection'
import { useSystem } from '../stores/system'

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: api.transport === 'ipc' ? 'Connected (desktop)' : 'Connected',
  reconnecting: 'Reconnecting…',
  'signed-out': 'Signed out',
}

export function StatusBar() {
  const connection = useConnection((s) => s.state)
  const info = useSystem((s) => s.info)
  return (
    <footer className="status-bar">
      <span className="status-item" data-testid="status-connection" data-state={connection} role="status">
        <span className={`status-dot status-dot-${connection}`} aria-hidden="true" />
        {CONNECTION_TEXT[connection]}
      </span>
      {info && (
        <span className="status-item" data-testid="status-protocol" title={`Supported: ${info.protocolVersions.map((v) => `v${v}`).join(', ')}`}>
          Protocol v{info.activeProtocolVersion}
        </span>
      )}
      <span className="status-spacer" />
      {info && (
        <>
          <span className="status-item status-path" data-testid="status-data-dir" title={info.dataDir}>
            {truncateMiddle(info.dataDir)}
          </span>
          <span className="status-item" data-testid="status-version">
            {info.product} {info.version}
          </span>
        </>
      )}
    </footer>
  )
}
