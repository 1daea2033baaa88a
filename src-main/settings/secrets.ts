import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { rememberSecret } from '../redact'

/**
 * How secrets are sealed at rest. Inside Electron the OS keychain does it (safeStorage); headless,
 * the file's 0600 permissions are the protection, as with an SSH private key.
 */
export interface SecretCipher {
  readonly kind: 'electron-safe-storage' | 'file-0600'
  seal(plain: string): string
  open(sealed: string): string
}

export const plainFileCipher: SecretCipher = {
  kind: 'file-0600',
  seal: (plain) => plain,
  open: (sealed) => sealed,
}

type SecretName = 'anthropicApiKey'

/**
 * Secrets live outside the database so they never end up in a backup or an audit export. The file is
 * rewritten atomically and is readable by the owner only.
 */
export class SecretStore {
  private readonly file: string

  constructor(home: string, private readonly cipher: SecretCipher) {
    this.file = join(home, 'secrets.json')
  }

  get kind(): SecretCipher['kind'] {
    return this.cipher.kind
  }

  has(name: SecretName): boolean {
    return this.read()[name] !== undefined
  }

  get(name: SecretName): string | undefined {
    const entry = this.read()[name]
    if (!entry) return undefined
    if (entry.kind !== this.cipher.kind) {
      throw new Error(`the stored ${name} was sealed with ${entry.kind}, which is not available here; set it again in Settings`)
    }
    const value = this.cipher.open(entry.value)
    rememberSecret(value) // whatever may echo it back (an endpoint's error) is redacted from now on
    return value
  }

  set(name: SecretName, value: string): void {
    rememberSecret(value)
    const all = this.read()
    all[name] = { kind: this.cipher.kind, value: this.cipher.seal(value) }
    this.write(all)
  }

  delete(name: SecretName): void {
    const all = this.read()
    delete all[name]
    this.write(all)
  }

  private read(): Partial<Record<SecretName, { kind: SecretCipher['kind']; value: string }>> {
    if (!existsSync(this.file)) return {}
    try {
      return JSON.parse(readFileSync(this.file, 'utf8'))
    } catch {
      throw new Error(`${this.file} is not valid JSON; fix or delete it, then set the API key again`)
    }
  }

  private write(all: object): void {
    const tmp = `${this.file}.tmp`
    writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 })
    chmodSync(tmp, 0o600)
    renameSync(tmp, this.file)
  }
}
