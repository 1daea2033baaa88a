import { useEffect, useId, useState, type KeyboardEvent } from 'react'
import type { ProtocolPeer } from '../../src-main/api/contract'
import { api } from '../api/client'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { CopyButton } from '../components/CopyButton'
import { formatBytes, formatRelative } from '../lib/format'
import { useConnection } from '../stores/connection'
import { useProtocol, type DecodeKind } from '../stores/protocol'
import { reportError } from '../stores/toasts'

/** RTT and byte counters move continuously: refresh this often while the view is open. */
const REFRESH_MS = 2000

export function ProtocolView() {
  const connected = useConnection((s) => s.state === 'connected')
  const refresh = useProtocol((s) => s.refresh)
  useEffect(() => {
    if (!connected) return
    void refresh()
    const timer = setInterval(() => void refresh(), REFRESH_MS)
    // Connections, disconnections and renegotiations show at once; the poll covers RTT and bytes.
    const off = api.on('protocol', () => void refresh())
    return () => {
      clearInterval(timer)
      off()
    }
  }, [connected, refresh])
  return (
    <div className="protocol" data-testid="protocol-view">
      <ConsoleHeader />
      <PeersCard />
      <div className="columns protocol-columns">
        <EnrolCard />
        <DecodeCard />
      </div>
    </div>
  )
}

function ConsoleHeader() {
  const status = useProtocol((s) => s.status)
  const setAllowV3 = useProtocol((s) => s.setAllowV3)
  const [confirmV3, setConfirmV3] = useState(false)
  const totals = status?.rejectedTotals
  const rejected = totals ? Object.values(totals).reduce((a, b) => a + b, 0) : 0
  const toggle = () => {
    if (!status) return
    if (status.allowV3) void setAllowV3(false).catch((err) => reportError('Could not refuse v3 agents', err))
    else setConfirmV3(true)
  }
  return (
    <div className="audit-header" data-testid="protocol-header">
      <dl className="audit-facts">
        <div className="audit-fact">
          <dt>Console identity (ML-DSA-65)</dt>
          <dd className="protocol-fingerprint">
            <code data-testid="protocol-fingerprint" title={status?.fingerprint}>
              {status ? `${status.fingerprint.slice(0, 16)}…` : '…'}
            </code>
            {status && <CopyButton value={status.fingerprint} label="console fingerprint" />}
          </dd>
        </div>
        <div className="audit-fact">
          <dt>Versions</dt>
          <dd data-testid="protocol-versions" className="protocol-versions">
            {status?.versions.join(', ') ?? '…'}
            {status?.pinnedVersion && (
              <span className="badge badge-warn" data-testid="protocol-pinned">
                pinned to {status.pinnedVersion} by a rollback
              </span>
            )}
          </dd>
        </div>
        <div className="audit-fact">
          <dt>Agents listen on</dt>
          <dd data-testid="protocol-listening">{status ? (status.listening ? `${status.listening.host}:${status.listening.port}` : 'not listening') : '…'}</dd>
        </div>
        <div className="audit-fact">
          <dt>Refused</dt>
          <dd data-testid="protocol-refused">{status ? `${status.refusedConnections} connections · ${rejected} frames` : '…'}</dd>
        </div>
        <div className="audit-fact">
          <dt>v3 agents</dt>
          <dd>
            <label className="release-switch">
              <input type="checkbox" role="switch" data-testid="protocol-allow-v3" checked={status?.allowV3 ?? false} disabled={!status} onChange={toggle} />
              <span>{status?.allowV3 ? 'allowed — unencrypted' : 'refused'}</span>
            </label>
          </dd>
        </div>
      </dl>
      {confirmV3 && (
        <ConfirmDialog
          title="Allow DWCP v3 agents?"
          confirmLabel="Allow unencrypted v3"
          danger
          onConfirm={() => {
            setConfirmV3(false)
            void setAllowV3(true).catch((err) => reportError('Could not allow v3 agents', err))
          }}
          onCancel={() => setConfirmV3(false)}
        >
          <p>
            DWCP v3 has <strong>no encryption and no integrity protection</strong>: anyone on the network path can read and change what a v3 agent sends and receives, and its enrolment token
            travels in clear. v3 links are marked as unencrypted here and in the audit log.
          </p>
        </ConfirmDialog>
      )}
    </div>
  )
}

function PeersCard() {
  const status = useProtocol((s) => s.status)
  const error = useProtocol((s) => s.error)
  const lastCall = useProtocol((s) => s.lastCall)
  const runOn = useProtocol((s) => s.runOn)
  const [selected, setSelected] = useState(0)
  const peers = status?.peers ?? []
  // An agent that leaves must not leave the selection pointing past the end.
  const current = Math.min(selected, Math.max(0, peers.length - 1))
  const titleId = useId()
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown') setSelected(Math.min(peers.length - 1, current + 1))
    else if (event.key === 'ArrowUp') setSelected(Math.max(0, current - 1))
    else if (event.key === 'Enter' && peers[current]) void runOn(peers[current].name)
    else return
    event.preventDefault()
  }
  return (
    <section className="card" aria-labelledby={titleId} data-testid="protocol-peers">
      <header className="card-header">
        <h2 id={titleId}>Connected agents</h2>
        <p className="card-hint">↑ ↓ choose an agent, Enter runs trivial.add(2, 3) on it over its link.</p>
      </header>
      <div className="card-body">
        {error && <p className="error-text">{error}</p>}
        {peers.length === 0 ? (
          <p className="faint" data-testid="protocol-no-peers">
            No agent is connected.{' '}
            {status?.listening ? 'Issue an enrolment token below and start one with `dwcp agent`.' : 'This console is not listening for agents (start it with `dwcp serve`).'}
          </p>
        ) : (
          <div className="protocol-scroll">
            <table className="table protocol-table" tabIndex={0} onKeyDown={onKeyDown} aria-label="Connected agents">
              <thead>
                <tr>
                  <th>Agent</th>
                  <th>Link</th>
                  <th className="numeric">RTT</th>
                  <th className="numeric">In / out</th>
                  <th className="numeric">Compression</th>
                  <th>Refused frames</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {peers.map((p, i) => (
                  <PeerRow key={p.agentId} peer={p} selected={i === current} onRun={() => void runOn(p.name)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {lastCall && (
          <p className={lastCall.ok ? 'protocol-call-ok' : 'error-text'} data-testid="protocol-call-result" role="status">
            {lastCall.agent}: {lastCall.text}
            {lastCall.roundTripMs !== undefined && <span className="faint"> · round trip {lastCall.roundTripMs.toFixed(2)} ms</span>}
          </p>
        )}
      </div>
    </section>
  )
}

function PeerRow({ peer, selected, onRun }: { peer: ProtocolPeer; selected: boolean; onRun(): void }) {
  const refused = Object.entries(peer.rejected).filter(([, n]) => n > 0)
  return (
    <tr className={selected ? 'protocol-selected' : undefined} data-testid={`protocol-peer-${peer.name}`} aria-selected={selected}>
      <td>
        <strong>{peer.name}</strong>
        <div className="faint">
          {peer.address} · {peer.capabilities.region} · {peer.capabilities.cpu} CPU · {peer.capabilities.memoryMb} MB
          {peer.capabilities.gpus > 0 ? ` · ${peer.capabilities.gpus} GPU` : ''}
        </div>
      </td>
      <td>
        <span className="mono">DWCP {peer.version}</span>{' '}
        {peer.encrypted ? (
          <span className="badge badge-ok" title={peer.fingerprint ?? ''}>
            encrypted
          </span>
        ) : (
          <span className="badge badge-bad" data-testid="protocol-unencrypted">
            ⚠ UNENCRYPTED
          </span>
        )}
        <div className="faint" data-testid="protocol-suite">
          {peer.cipherSuite}
          {peer.encrypted ? ` · key epoch ${peer.keyEpoch}` : ''} · connected {formatRelative(peer.connectedAt)}
        </div>
      </td>
      <td className="numeric" data-testid="protocol-rtt">
        {peer.rttMs === null ? '—' : `${peer.rttMs.toFixed(2)} ms`}
      </td>
      <td className="numeric">
        {formatBytes(peer.bytesIn)} / {formatBytes(peer.bytesOut)}
      </td>
      <td className="numeric">{peer.compressionRatio.toFixed(2)}×</td>
      <td data-testid="protocol-rejected">{refused.length ? refused.map(([k, n]) => `${n} ${k}`).join(' · ') : <span className="faint">none</span>}</td>
      <td>
        <button type="button" className="btn btn-small" onClick={onRun} data-testid={`protocol-run-${peer.name}`}>
          Run on agent
        </button>
      </td>
    </tr>
  )
}

function EnrolCard() {
  const status = useProtocol((s) => s.status)
  const token = useProtocol((s) => s.token)
  const issueToken = useProtocol((s) => s.issueToken)
  const forget = useProtocol((s) => s.forget)
  const [forgetting, setForgetting] = useState<string | null>(null)
  const titleId = useId()
  const address = status?.listening ? `${status.listening.host}:${status.listening.port}` : 'HOST:PORT'
  const command = token ? `dwcp agent --console ${address} --token ${token.token} --name edge-001 --region us-west --cpu 4 --memory-mb 8192` : ''
  return (
    <section className="card" aria-labelledby={titleId} data-testid="protocol-enrol">
      <header className="card-header">
        <h2 id={titleId}>Enrolment</h2>
        <p className="card-hint">A new agent needs a one-time token; after that its ML-DSA-65 key alone identifies it.</p>
      </header>
      <div className="card-body">
        <button type="button" className="btn btn-primary" data-testid="protocol-new-token" onClick={() => void issueToken().catch((err) => reportError('Could not issue a token', err))}>
          New enrolment token
        </button>
        {token && (
          <div className="protocol-token" data-testid="protocol-token">
            <p className="faint">Shown once, valid until {new Date(token.expiresAt).toLocaleString()}. Run on the edge device:</p>
            <div className="protocol-command">
              <code data-testid="protocol-token-command">{command}</code>
              <CopyButton value={command} label="agent command" />
            </div>
          </div>
        )}
        <h3 className="protocol-subtitle">Enrolled agents</h3>
        {status?.enrolled.length ? (
          <ul className="protocol-enrolled" data-testid="protocol-enrolled">
            {status.enrolled.map((e) => (
              <li key={e.name}>
                <span>
                  <strong>{e.name}</strong> <span className="faint mono">{e.fingerprint === 'v3-unauthenticated' ? 'v3, no key' : `${e.fingerprint.slice(0, 12)}…`}</span>
                </span>
                <button type="button" className="btn btn-small btn-danger-quiet" onClick={() => setForgetting(e.name)}>
                  Forget
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p className="faint">None yet.</p>
        )}
      </div>
      {forgetting && (
        <ConfirmDialog
          title={`Forget ${forgetting}?`}
          confirmLabel="Forget the agent"
          danger
          onConfirm={() => {
            const name = forgetting
            setForgetting(null)
            void forget(name).catch((err) => reportError('Could not forget the agent', err))
          }}
          onCancel={() => setForgetting(null)}
        >
          <p>Its key will no longer be accepted and it is disconnected now. To come back it needs a new enrolment token.</p>
        </ConfirmDialog>
      )}
    </section>
  )
}

const KINDS: readonly DecodeKind[] = ['v4', 'v3-udp', 'hde-v3', 'v3-federation']

function DecodeCard() {
  const decoded = useProtocol((s) => s.decoded)
  const decode = useProtocol((s) => s.decode)
  // What was typed survives leaving the view, so the result shown always belongs to the bytes shown.
  const { hex, as: kind } = useProtocol((s) => s.decodeInput)
  const setInput = (patch: Partial<{ hex: string; as: DecodeKind | '' }>) => useProtocol.setState((s) => ({ decodeInput: { ...s.decodeInput, ...patch } }))
  const ids = { title: useId(), hex: useId(), kind: useId() }
  const submit = () => void decode(hex, kind || undefined)
  return (
    <section className="card" aria-labelledby={ids.title} data-testid="protocol-decode">
      <header className="card-header">
        <h2 id={ids.title}>Decode a frame</h2>
        <p className="card-hint">A v4 frame, a v3 UDP frame, an HDE v3 container or a v3 federation message, in hex. Ctrl+Enter decodes.</p>
      </header>
      <div className="card-body">
        <label htmlFor={ids.hex} className="field-label">
          Bytes (hex)
        </label>
        <textarea
          id={ids.hex}
          className="input input-mono protocol-hex"
          data-testid="protocol-hex"
          rows={3}
          value={hex}
          spellCheck={false}
          onChange={(e) => setInput({ hex: e.target.value })}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault()
              submit()
            }
          }}
        />
        <div className="protocol-decode-row">
          <label htmlFor={ids.kind} className="field-label">
            Read as
          </label>
          <select id={ids.kind} className="input" data-testid="protocol-kind" value={kind} onChange={(e) => setInput({ as: e.target.value as DecodeKind | '' })}>
            <option value="">guess from the first bytes</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
          <button type="button" className="btn" data-testid="protocol-decode-button" onClick={submit}>
            Decode
          </button>
        </div>
        {decoded && 'error' in decoded && (
          <p className="error-text" data-testid="protocol-decode-error" role="alert">
            {decoded.error}
          </p>
        )}
        {decoded && 'fields' in decoded && (
          <table className="table protocol-fields" data-testid="protocol-decoded">
            <tbody>
              {Object.entries(decoded.fields).map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td className="mono">{typeof v === 'string' ? v || '(empty)' : JSON.stringify(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  )
}
