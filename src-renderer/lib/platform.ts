/** macOS uses Cmd where other systems use Ctrl for app shortcuts (and for copy/paste in the terminal). */
export const isMac: boolean = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent)

/** The modifier of app shortcuts on this system, as people read it: "Ctrl" or "⌘". */
export const modifierLabel = isMac ? '⌘' : 'Ctrl'

/** Is the app-shortcut modifier (and only it, besides Shift when asked) held? */
export function hasShortcutModifier(event: KeyboardEvent, { shift = false } = {}): boolean {
  const primary = isMac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey
  return primary && !event.altKey && event.shiftKey === shift
}
