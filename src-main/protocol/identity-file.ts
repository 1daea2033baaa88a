/**
 * An ML-DSA-65 identity kept on disk (0600), made on first use, and the console fingerprint an agent
 * pins at its first enrolment. A damaged file is a clear error, never silently replaced: replacing
 * it would change the identity every enrolled peer has pinned.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ProtocolError } from './errors'
import { createIdentity, identityFrom, type Identity } from './handshake'

export function loadOrCreateIdentity(file: string): Identity {
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { publicKey: string; secretKey: string }
      return identityFrom(new Uint8Array(Buffer.from(saved.publicKey, 'base64')), new Uint8Array(Buffer.from(saved.secretKey, 'base64')))
    } catch (err) {
      throw new ProtocolError('bad_field', `the protocol identity in ${file} is unreadable (${(err as Error).message}); restore it from a backup — a new one would not match what peers pinned`)
    }
  }
  const identity = createIdentity()
  writeAtomically(file, JSON.stringify({ publicKey: Buffer.from(identity.publicKey).toString('base64'), secretKey: Buffer.from(identity.secretKey).toString('base64') }))
  return identity
}

export function readPin(file: string): string | undefined {
  if (!existsSync(file)) return undefined
  const text = readFileSync(file, 'utf8').trim()
  if (!/^[0-9a-f]{64}$/.test(text)) throw new ProtocolError('bad_field', `the pinned console fingerprint in ${file} is damaged; delete it only if you mean to trust a new console`)
  return text
}

export function writePin(file: string, fingerprint: string): void {
  writeAtomically(file, `${fingerprint}\n`)
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, text, { mode: 0o600 })
  renameSync(temp, file)
}
