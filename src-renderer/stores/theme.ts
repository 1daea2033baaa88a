import { create } from 'zustand'
import type { Theme } from '../../src-main/api/contract'
import { useSettings } from './settings'

export type AppliedTheme = 'light' | 'dark'

interface ThemeStore {
  /** The theme on screen: the chosen one, or the OS's when the choice is "system". */
  applied: AppliedTheme
}

/** Remembered locally only to paint the first frame in the right colours, before the host answers. */
const CACHE_KEY = 'dwcp.theme'
const darkQuery = window.matchMedia('(prefers-color-scheme: dark)')

function cachedChoice(): Theme {
  try {
    const value = localStorage.getItem(CACHE_KEY)
    if (value === 'light' || value === 'dark' || value === 'system') return value
  } catch {
    /* storage may be unavailable; the OS preference will do */
  }
  return 'system'
}

function resolve(choice: Theme): AppliedTheme {
  if (choice === 'system') return darkQuery.matches ? 'dark' : 'light'
  return choice
}

export const useTheme = create<ThemeStore>(() => ({ applied: resolve(cachedChoice()) }))

function apply(choice: Theme): void {
  const applied = resolve(choice)
  document.documentElement.dataset.theme = applied
  if (useTheme.getState().applied !== applied) useTheme.setState({ applied })
}

/** Keep `<html data-theme>` in step with the setting and, for "system", with the OS, live. */
export function syncTheme(): () => void {
  let choice = useSettings.getState().settings?.theme ?? cachedChoice()
  apply(choice)
  const onOsChange = () => apply(choice)
  darkQuery.addEventListener('change', onOsChange)
  const unsubscribe = useSettings.subscribe((state) => {
    const next = state.settings?.theme
    if (!next || next === choice) return
    choice = next
    apply(choice)
    try {
      localStorage.setItem(CACHE_KEY, choice)
    } catch {
      /* not essential */
    }
  })
  return () => {
    darkQuery.removeEventListener('change', onOsChange)
    unsubscribe()
  }
}
