/**
 * An ML-DSA-65 identity kept on disk (0600), made on first use; the console's long-term ML-KEM key
 * beside it; and what an agent pins at its first enrolment (the console fingerprint, then the
 * console's certified KEM key). A damaged file is a clear error, never silently replaced: replacing
 * it would change the identity every enrolled peer has pinned.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ProtocolError } from './errors'
import { consoleKemId, createConsoleKem, createIdentity, identityFrom, type ConsoleKem, type Identity, type PinnedConsoleKem } from './handshake'

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

/** The console's long-term KEM key and its certificate, made on first use (signed by the identity). */
export function loadOrCreateConsoleKem(file: string, identity: Identity): ConsoleKem {
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { ek: string; dk: string; signature: string }
      const ek = new Uint8Array(Buffer.from(saved.ek, 'base64'))
      return { ek, dk: new Uint8Array(Buffer.from(saved.dk, 'base64')), id: consoleKemId(ek), signature: new Uint8Array(Buffer.from(saved.signature, 'base64')) }
    } catch {
      // Nothing pins this key for good: a damaged one is replaced, and agents get the new certificate at their next (signed) handshake.
    }
  }
  const kem = createConsoleKem(identity)
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
  writeAtomically(file, JSON.stringify({ ek: b64(kem.ek), dk: b64(kem.dk), signature: b64(kem.signature) }))
  return kem
}

/** An agent's copy of the console's KEM key; absent or damaged means the next handshake is a full, signed one. */
export function readPinnedConsoleKem(file: string): PinnedConsoleKem | undefined {
  if (!existsSync(file)) return undefined
  try {
    const ek = new Uint8Array(Buffer.from((JSON.parse(readFileSync(file, 'utf8')) as { ek: string }).ek, 'base64'))
    return ek.length === 1184 ? { ek, id: consoleKemId(ek) } : undefined
  } catch {
    return undefined
  }
}

export function writePinnedConsoleKem(file: string, kem: PinnedConsoleKem): void {
  writeAtomically(file, JSON.stringify({ ek: Buffer.from(kem.ek).toString('base64') }))
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
