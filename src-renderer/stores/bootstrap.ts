import { api } from '../api/client'
import { connectChat } from './chat'
import { trackConnection } from './connection'
import { useSettings } from './settings'
import { useSystem } from './system'
import { connectTerminals } from './terminals'
import { syncTheme } from './theme'

/** Wire the stores to the host once, before the first render. */
export function connectStores(): void {
  trackConnection()
  syncTheme()
  connectTerminals()
  connectChat()
  // Another window (or a restore) changed the settings.
  api.on('settings', (settings) => useSettings.getState().received(settings))
  // Read the host's state on every (re)connection: it may have restarted with another version.
  api.onConnection((state) => {
    if (state !== 'connected') return
    void useSystem.getState().load()
    void useSettings.getState().load()
  })
}
