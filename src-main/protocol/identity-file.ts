/**
 * An ML-DSA-65 identity kept on disk (0600), made on first use; the console's long-term ML-KEM key
 * beside it; and what an agent pins at its first enrolment (the console fingerprint, then the
 * console's certified KEM key). A damaged file is a clear error, never silently replaced: replacing
 * it would change the identity every enrolled peer has pinned.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ProtocolError } from './errors'
import { consoleKemCertificate, consoleKemId, createConsoleKem, createIdentity, identityFrom, MLKEM_EK_BYTES, toBase64, type ConsoleKem, type Identity, type PinnedConsoleKem } from './handshake'

// Not the handshake's checked decoder: that one reports what it refuses as a handshake error.
const base64Bytes = (text: string) => new Uint8Array(Buffer.from(text, 'base64'))

export function loadOrCreateIdentity(file: string): Identity {
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { publicKey: string; secretKey: string }
      return identityFrom(base64Bytes(saved.publicKey), base64Bytes(saved.secretKey))
    } catch (err) {
      throw new ProtocolError('bad_field', `the protocol identity in ${file} is unreadable (${(err as Error).message}); restore it from a backup — a new one would not match what peers pinned`)
    }
  }
  const identity = createIdentity()
  writeAtomically(file, JSON.stringify({ publicKey: toBase64(identity.publicKey), secretKey: toBase64(identity.secretKey) }))
  return identity
}

/** The console's long-term KEM key and its certificate, made on first use (signed by the identity). */
export function loadOrCreateConsoleKem(file: string, identity: Identity): ConsoleKem {
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { ek: string; dk: string; signature: string }
      const ek = base64Bytes(saved.ek)
      return { ek, dk: base64Bytes(saved.dk), id: consoleKemId(ek), signature: base64Bytes(saved.signature) }
    } catch {
      // Nothing pins this key for good: a damaged one is replaced, and agents get the new certificate at their next (signed) handshake.
    }
  }
  const kem = createConsoleKem(identity)
  writeAtomically(file, JSON.stringify({ ...consoleKemCertificate(kem), dk: toBase64(kem.dk) }))
  return kem
}

/** An agent's copy of the console's KEM key; absent or damaged means the next handshake is a full, signed one. */
export function readPinnedConsoleKem(file: string): PinnedConsoleKem | undefined {
  if (!existsSync(file)) return undefined
  try {
    const ek = base64Bytes((JSON.parse(readFileSync(file, 'utf8')) as { ek: string }).ek)
    return ek.length === MLKEM_EK_BYTES ? { ek, id: consoleKemId(ek) } : undefined
  } catch {
    return undefined
  }
}

export function writePinnedConsoleKem(file: string, kem: PinnedConsoleKem): void {
  writeAtomically(file, JSON.stringify({ ek: toBase64(kem.ek) }))
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
