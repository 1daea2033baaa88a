import type { Theme } from '../../../src-main/api/contract'
import { useSettings } from '../../stores/settings'
import { Section } from './Section'

const CHOICES: { value: Theme; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
]

/** A segmented control made of real radio buttons: arrow keys and screen readers work as expected. */
export function ThemeSection() {
  const theme = useSettings((s) => s.settings?.theme)
  const setTheme = useSettings((s) => s.setTheme)
  return (
    <Section title="Theme" hint="System follows your operating system’s light or dark appearance as it changes.">
      <div className="segmented" role="radiogroup" aria-label="Theme">
        {CHOICES.map((choice) => (
          <label key={choice.value} className="segment">
            <input
              type="radio"
              name="theme"
              value={choice.value}
              data-testid={`theme-${choice.value}`}
              checked={theme === choice.value}
              disabled={!theme}
              onChange={() => void setTheme(choice.value)}
            />
            <span>{choice.label}</span>
          </label>
        ))}
      </div>
    </Section>
  )
}
