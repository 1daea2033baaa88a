import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fingerprint, generateLogKey, restoreLogKey, type LogKey } from './checkpoint'

const KEY_FILE = 'audit-signing-key.json'

/**
 * The installation's ML-DSA-65 signing key for tree heads. Like an SSH host key it lives in a file
 * only the owner can read, beside the database but outside it, so no backup or export carries it;
 * the public half is stored in the database (audit_keys) and in every export.
 */
export function loadOrCreateSigningKey(home: string): LogKey {
  const file = join(home, KEY_FILE)
  if (existsSync(file)) {
    let saved: { origin: string; seed?: string; publicKey: string; secretKey: string }
    try {
      saved = JSON.parse(readFileSync(file, 'utf8'))
    } catch {
      throw new Error(`${file} is damaged (not JSON). Move it aside to make a new audit signing key; heads signed with the old key will then be reported as signed by an unknown key.`)
    }
    return restoreLogKey(saved.origin, Buffer.from(saved.publicKey, 'base64'), Buffer.from(saved.secretKey, 'base64'))
  }
  const origin = `dwcp.console/${randomBytes(6).toString('hex')}`
  const key = generateLogKey(origin)
  const tmp = `${file}.tmp`
  writeFileSync(tmp, JSON.stringify({ origin, publicKey: Buffer.from(key.publicKey).toString('base64'), secretKey: Buffer.from(key.secretKey).toString('base64') }), { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, file)
  return key
}

/** Fingerprint of this machine's audit key, if the data folder has one (never creates it). */
export function readSigningKeyFingerprint(home: string): string | undefined {
  const file = join(home, KEY_FILE)
  if (!existsSync(file)) return undefined
  try {
    return fingerprint(Buffer.from(JSON.parse(readFileSync(file, 'utf8')).publicKey, 'base64'))
  } catch {
    return undefined
  }
}
