import { isMac, modifierLabel } from '../lib/platform'
import { useNavigation } from '../stores/navigation'
import { VIEWS, type ViewDef } from '../views/catalog'
import { Icon } from './Icon'

/** The left rail: every view, in order, with its shortcut in the tooltip. Settings sits at the foot. */
export function Rail() {
  const main = VIEWS.filter((v) => v.id !== 'settings')
  const settings = VIEWS.filter((v) => v.id === 'settings')
  return (
    <nav className="rail" aria-label="Views">
      <div className="rail-brand">
        <Icon name="logo" size={20} />
        <span>DWCP Console</span>
      </div>
      <ul className="rail-list">
        {main.map((view) => (
          <RailItem key={view.id} view={view} />
        ))}
      </ul>
      <ul className="rail-list rail-foot">
        {settings.map((view) => (
          <RailItem key={view.id} view={view} />
        ))}
      </ul>
    </nav>
  )
}

function RailItem({ view }: { view: ViewDef }) {
  const active = useNavigation((s) => s.view === view.id)
  const go = useNavigation((s) => s.go)
  const position = VIEWS.indexOf(view) + 1
  return (
    <li>
      <button
        type="button"
        className="rail-item"
        data-testid={`nav-${view.id}`}
        aria-current={active ? 'page' : undefined}
        aria-keyshortcuts={`${isMac ? 'Meta' : 'Control'}+${position}`}
        title={`${view.label} (${modifierLabel}+${position})`}
        onClick={() => go(view.id)}
      >
        <Icon name={view.icon} />
        <span className="rail-label">{view.label}</span>
        <kbd className="rail-shortcut" aria-hidden="true">
          {isMac ? `⌘${position}` : `Ctrl ${position}`}
        </kbd>
      </button>
    </li>
  )
}
