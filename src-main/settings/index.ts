/** Public face of settings: preferences in the database, secrets in a sealed file beside it. */
import type { Store } from '../store'
import { SecretStore, type SecretCipher } from './secrets'

export { SecretStore, plainFileCipher, type SecretCipher } from './secrets'

export type Theme = 'system' | 'light' | 'dark'

export interface SettingsView {
  theme: Theme
  dataDir: string
  hasApiKey: boolean
  secretStorage: SecretCipher['kind']
}

export class SettingsService {
  readonly secrets: SecretStore

  constructor(private readonly store: Store, cipher: SecretCipher) {
    this.secrets = new SecretStore(store.home, cipher)
  }

  view(): SettingsView {
    return {
      theme: asTheme(this.get('theme', 'system')),
      dataDir: this.store.home,
      hasApiKey: this.secrets.has('anthropicApiKey'),
      secretStorage: this.secrets.kind,
    }
  }

  update(changes: { theme?: Theme }): SettingsView {
    if (changes.theme) this.put('theme', changes.theme)
    return this.view()
  }

  setApiKey(key: string): SettingsView {
    this.secrets.set('anthropicApiKey', key)
    return this.view()
  }

  clearApiKey(): SettingsView {
    this.secrets.delete('anthropicApiKey')
    return this.view()
  }

  /** For engines in the main process only (the intent engine); never exposed through the API. */
  apiKey(): string | undefined {
    return this.secrets.get('anthropicApiKey')
  }

  private get<T>(key: string, fallback: T): T {
    const row = this.store.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined
    if (!row) return fallback
    try {
      return JSON.parse(row.value) as T
    } catch {
      return fallback // a damaged row falls back to the default rather than breaking the app
    }
  }

  private put(key: string, value: unknown): void {
    this.store.db
      .prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(key, JSON.stringify(value), new Date().toISOString())
  }
}

function asTheme(value: unknown): Theme {
  return value === 'light' || value === 'dark' ? value : 'system'
}
