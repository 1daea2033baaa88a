import { useEffect, useLayoutEffect, useRef, type KeyboardEvent } from 'react'
import { Icon } from '../components/Icon'
import { sessionFor, useTerminals, type TerminalTab } from '../stores/terminals'

/** Terminal tabs on real shells. The shells live in the terminals store; this view only shows them. */
export function TerminalView() {
  const tabs = useTerminals((s) => s.tabs)
  const activeKey = useTerminals((s) => s.activeKey)
  const openTab = useTerminals((s) => s.openTab)
  const openFirstTabOnce = useTerminals((s) => s.openFirstTabOnce)

  useEffect(() => openFirstTabOnce(), [openFirstTabOnce])

  return (
    <div className="terminal-view">
      <div className="terminal-toolbar">
        <TabStrip tabs={tabs} activeKey={activeKey} />
        <button type="button" className="btn btn-ghost btn-small" data-testid="terminal-new" onClick={openTab}>
          <Icon name="plus" size={15} />
          New terminal
        </button>
      </div>
      <div className="terminal-stack">
        {tabs.map((tab) => (
          <TerminalPane key={tab.key} tab={tab} active={tab.key === activeKey} />
        ))}
        {tabs.length === 0 && (
          <div className="terminal-empty">
            <p>No terminal is open.</p>
            <button type="button" className="btn btn-primary" onClick={openTab}>
              Open a terminal
            </button>
          </div>
        )}
      </div>
    </div>
  )
}

function TabStrip({ tabs, activeKey }: { tabs: TerminalTab[]; activeKey: string | null }) {
  const activate = useTerminals((s) => s.activate)
  const closeTab = useTerminals((s) => s.closeTab)
  const stripRef = useRef<HTMLDivElement>(null)

  // Arrow keys move between tabs, as in any tab list.
  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0
    if (step === 0 || tabs.length === 0) return
    event.preventDefault()
    const next = tabs[(index + step + tabs.length) % tabs.length]
    activate(next.key)
    stripRef.current?.querySelector<HTMLButtonElement>(`[data-tab-key="${next.key}"]`)?.focus()
  }

  return (
    <div ref={stripRef} className="tab-strip" role="tablist" aria-label="Terminals">
      {tabs.map((tab, index) => {
        const active = tab.key === activeKey
        const ended = tab.status === 'exited' || tab.status === 'failed'
        return (
          <div
            key={tab.key}
            className="tab"
            data-testid="terminal-tab"
            data-status={tab.status}
            data-active={active || undefined}
            role="presentation"
            // Middle click closes, as in browsers and editors.
            onAuxClick={(event) => event.button === 1 && closeTab(tab.key)}
          >
            <button
              type="button"
              role="tab"
              className="tab-select"
              id={`tab-${tab.key}`}
              data-tab-key={tab.key}
              aria-selected={active}
              aria-controls={`panel-${tab.key}`}
              tabIndex={active ? 0 : -1}
              title={ended ? `${tab.title} (exited)` : tab.title}
              onClick={() => activate(tab.key)}
              onKeyDown={(event) => onKeyDown(event, index)}
            >
              <span className={`tab-dot tab-dot-${tab.status}`} aria-hidden="true" />
              <span className="tab-title">{tab.title}</span>
              {ended && <span className="visually-hidden"> (exited)</span>}
            </button>
            <button
              type="button"
              className="tab-close"
              data-testid="terminal-tab-close"
              aria-label={`Close ${tab.title}`}
              title="Close (ends the shell)"
              onClick={() => closeTab(tab.key)}
            >
              <Icon name="close" size={13} />
            </button>
          </div>
        )
      })}
    </div>
  )
}

/** Lends its element to the tab's xterm while mounted; every pane stays laid out so sizes stay right. */
function TerminalPane({ tab, active }: { tab: TerminalTab; active: boolean }) {
  const hostRef = useRef<HTMLDivElement>(null)

  useLayoutEffect(() => {
    const session = sessionFor(tab.key)
    const host = hostRef.current
    if (!session || !host) return
    session.attach(host)
    return () => session.detach()
  }, [tab.key])

  useEffect(() => {
    if (active) sessionFor(tab.key)?.focus()
  }, [active, tab.key])

  return (
    <div
      ref={hostRef}
      className="terminal-pane"
      id={`panel-${tab.key}`}
      role="tabpanel"
      aria-labelledby={`tab-${tab.key}`}
      data-active={active || undefined}
      inert={!active}
    />
  )
}
