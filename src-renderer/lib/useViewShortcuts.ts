import { useEffect } from 'react'
import { useNavigation } from '../stores/navigation'
import { sessionFor, useTerminals } from '../stores/terminals'
import { VIEWS } from '../views/catalog'
import { hasShortcutModifier } from './platform'

/**
 * Ctrl+1…Ctrl+8 (⌘1…⌘8 on macOS) switch views, wherever focus is — including inside a terminal, so
 * the listener runs in the capture phase and keeps the keys from reaching xterm.
 */
export function useViewShortcuts(): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (!hasShortcutModifier(event)) return
      const match = /^Digit([1-9])$/.exec(event.code)
      const view = match ? VIEWS[Number(match[1]) - 1] : undefined
      if (!view) return
      event.preventDefault()
      event.stopPropagation()
      useNavigation.getState().go(view.id)
      // Put focus where the keyboard user will want it once the view has rendered.
      requestAnimationFrame(() => {
        if (view.id === 'terminal') {
          const active = useTerminals.getState().activeKey
          if (active) return sessionFor(active)?.focus()
        }
        // A view may mark where typing starts (the chat's input); otherwise its title.
        const start = document.querySelector<HTMLElement>('main [data-autofocus]') ?? document.getElementById('view-title')
        start?.focus()
      })
    }
    window.addEventListener('keydown', onKeyDown, { capture: true })
    return () => window.removeEventListener('keydown', onKeyDown, { capture: true })
  }, [])
}
