import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Store } from '../store'
import { tempHome } from '../testing/home'
import { plainFileCipher, SettingsService, type SecretCipher } from './index'

describe('settings', () => {
  it('keeps the theme in the database and falls back to the default on a damaged row', () => {
    const home = tempHome()
    const store = Store.open({ home })
    const settings = new SettingsService(store, plainFileCipher)
    expect(settings.view()).toMatchObject({ theme: 'system', dataDir: home, hasApiKey: false, secretStorage: 'file-0600' })
    settings.update({ theme: 'dark' })
    expect(new SettingsService(store, plainFileCipher).view().theme).toBe('dark')
    store.db.prepare("UPDATE settings SET value = '{not json' WHERE key = 'theme'").run()
    expect(settings.view().theme).toBe('system')
    store.db.prepare(`UPDATE settings SET value = '"neon"' WHERE key = 'theme'`).run()
    expect(settings.view().theme).toBe('system')
    store.close()
  })

  it('keeps the API key outside the database, in a file only the owner can read', () => {
    const home = tempHome()
    const store = Store.open({ home })
    const settings = new SettingsService(store, plainFileCipher)
    const key = 'sk-ant-test-' + 'z'.repeat(30)
    expect(settings.setApiKey(key).hasApiKey).toBe(true)
    expect(statSync(join(home, 'secrets.json')).mode & 0o777).toBe(0o600)
    expect(settings.apiKey()).toBe(key)
    expect(readFileSync(join(home, 'dwcp.db')).includes(key)).toBe(false)
    expect(JSON.stringify(settings.view())).not.toContain(key)
    expect(settings.clearApiKey().hasApiKey).toBe(false)
    expect(settings.apiKey()).toBeUndefined()
    store.close()
  })

  it('seals the key with the given cipher and says so when it cannot be opened here', () => {
    const home = tempHome()
    const store = Store.open({ home })
    const rot13: SecretCipher = {
      kind: 'electron-safe-storage',
      seal: (s) => Buffer.from(s).toString('base64'),
      open: (s) => Buffer.from(s, 'base64').toString(),
    }
    new SettingsService(store, rot13).setApiKey('sk-ant-sealed-key-0123456789')
    expect(readFileSync(join(home, 'secrets.json'), 'utf8')).not.toContain('sk-ant-sealed')
    expect(() => new SettingsService(store, plainFileCipher).apiKey()).toThrow(/sealed with electron-safe-storage/)
    writeFileSync(join(home, 'secrets.json'), '{broken')
    expect(() => new SettingsService(store, plainFileCipher).view()).toThrow(/not valid JSON/)
    store.close()
  })
})
