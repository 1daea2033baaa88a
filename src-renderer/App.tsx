import { ErrorBoundary } from './components/ErrorBoundary'
import { Rail } from './components/Rail'
import { SignedOut } from './components/SignedOut'
import { StatusBar } from './components/StatusBar'
import { Toasts } from './components/Toasts'
import { useViewShortcuts } from './lib/useViewShortcuts'
import { useConnection } from './stores/connection'
import { useNavigation } from './stores/navigation'
import { viewDef, type ViewDef } from './views/catalog'
import { AuditView } from './views/AuditView'
import { FleetView } from './views/FleetView'
import { SettingsView } from './views/SettingsView'
import { TerminalView } from './views/TerminalView'
import { WasmView } from './views/WasmView'
import { ReleaseView } from './views/ReleaseView'
import { ProtocolView } from './views/ProtocolView'
import { ChatView } from './views/ChatView'

export function App() {
  const connection = useConnection((s) => s.state)
  useViewShortcuts()
  if (connection === 'signed-out') {
    return (
      <div className="app app-signed-out">
        <SignedOut />
        <StatusBar />
      </div>
    )
  }
  return (
    <div className="app">
      <Rail />
      <CurrentView />
      <StatusBar />
      <Toasts />
    </div>
  )
}

function CurrentView() {
  const view = viewDef(useNavigation((s) => s.view))
  return (
    <main className={`main main-${view.id}`} aria-labelledby="view-title">
      <header className="view-header">
        <h1 id="view-title" tabIndex={-1}>
          {view.label}
        </h1>
      </header>
      {/* Keyed by view: a crash in one view resets when you leave it, and never takes the rail down. */}
      <ErrorBoundary key={view.id} scope="view">
        <div className="view-body">
          <ViewBody view={view} />
        </div>
      </ErrorBoundary>
    </main>
  )
}

function ViewBody({ view }: { view: ViewDef }) {
  switch (view.id) {
    case 'terminal':
      return <TerminalView />
    case 'settings':
      return <SettingsView />
    case 'audit':
      return <AuditView />
    case 'wasm':
      return <WasmView />
    case 'release':
      return <ReleaseView />
    case 'fleet':
      return <FleetView />
    case 'protocol':
      return <ProtocolView />
    case 'chat':
      return <ChatView />
  }
}
