/** Public face of settings: preferences in the database, secrets in a sealed file beside it. */
import type { Store } from '../store'
import { ApiError } from '../api/errors'
import { modelEndpointProblem } from './endpoint'
import { SecretStore, type SecretCipher } from './secrets'

export { SecretStore, plainFileCipher, type SecretCipher } from './secrets'
export { modelEndpointProblem, isLoopbackHost } from './endpoint'

export type Theme = 'system' | 'light' | 'dark'

/** The intent engine's knobs (model, endpoint, guardrail limits); their defaults come from the engine. */
export type IntentPreferences = object

export interface SettingsView<P extends IntentPreferences = object> {
  theme: Theme
  dataDir: string
  hasApiKey: boolean
  secretStorage: SecretCipher['kind']
  intent: P
}

export class SettingsService<P extends IntentPreferences = object> {
  readonly secrets: SecretStore

  constructor(
    private readonly store: Store,
    cipher: SecretCipher,
    private readonly intentDefaults: P = {} as P,
  ) {
    this.secrets = new SecretStore(store.home, cipher)
  }

  view(): SettingsView<P> {
    return {
      theme: asTheme(this.get('theme', 'system')),
      dataDir: this.store.home,
      hasApiKey: this.secrets.has('anthropicApiKey'),
      secretStorage: this.secrets.kind,
      intent: this.intent(),
    }
  }

  /** Stored values over the defaults; a stored value of the wrong kind falls back to its default. */
  intent(): P {
    const stored = this.get<Record<string, unknown>>('intent', {})
    const defaults = this.intentDefaults as Record<string, unknown>
    const merged: Record<string, unknown> = { ...defaults }
    for (const [key, value] of Object.entries(stored && typeof stored === 'object' ? stored : {})) {
      const fallback = defaults[key]
      if (fallback === undefined || typeof value === typeof fallback) merged[key] = value
    }
    return merged as P
  }

  /** `null` removes a value (back to its default). */
  update(changes: { theme?: Theme; intent?: Record<string, unknown> }): SettingsView<P> {
    // Checked before anything is written, so a refused endpoint changes no other setting either.
    const endpoint = changes.intent?.baseURL
    const problem = typeof endpoint === 'string' ? modelEndpointProblem(endpoint) : null
    if (problem) throw new ApiError('bad_request', problem, [{ path: 'intent.baseURL', message: problem }])
    if (changes.theme) this.put('theme', changes.theme)
    if (changes.intent) {
      const next: Record<string, unknown> = { ...this.get<Record<string, unknown>>('intent', {}) }
      for (const [key, value] of Object.entries(changes.intent)) {
        if (value === null) delete next[key]
        else if (value !== undefined) next[key] = value
      }
      this.put('intent', next)
    }
    return this.view()
  }

  setApiKey(key: string): SettingsView<P> {
    this.secrets.set('anthropicApiKey', key)
    return this.view()
  }

  clearApiKey(): SettingsView<P> {
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
