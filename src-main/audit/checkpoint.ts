/**
 * Signed tree heads as C2SP checkpoints (https://c2sp.org/tlog-checkpoint) in C2SP signed notes
 * (https://c2sp.org/signed-note), signed with ML-DSA-65 (FIPS 204) from @noble/post-quantum.
 *
 * Body:       "<origin>\n<tree size>\n<base64 root hash>\n"
 * Signature:  "\n— <key name> <base64(4-byte key id || signature)>\n"
 */
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { createHash, randomBytes } from 'node:crypto'

/**
 * Signed notes identify the algorithm by a type byte inside the key id. ML-DSA has no assigned one, so
 * we use 0xFF, which the spec reserves for experiments, and say so here rather than squat on a number.
 */
export const ML_DSA_65_SIGNATURE_TYPE = 0xff
const EM_DASH = '\u2014'

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CheckpointError'
  }
}

export interface LogKey {
  origin: string
  publicKey: Uint8Array
  secretKey: Uint8Array
  keyId: Buffer
  /** Hex SHA-256 of the public key: what a person compares. */
  fingerprint: string
}

export interface Checkpoint {
  origin: string
  size: number
  rootHash: Uint8Array
}

export function keyId(origin: string, publicKey: Uint8Array): Buffer {
  return createHash('sha256').update(origin).update(Buffer.from([0x0a, ML_DSA_65_SIGNATURE_TYPE])).update(publicKey).digest().subarray(0, 4)
}

export function fingerprint(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex')
}

function checkOrigin(origin: string): void {
  if (!origin || /[\s+]/.test(origin) || origin.length > 255) throw new CheckpointError(`"${origin}" is not a usable origin (non-empty, no spaces or plus signs)`)
}

export function generateLogKey(origin: string): LogKey {
  checkOrigin(origin)
  const { publicKey, secretKey } = ml_dsa65.keygen(randomBytes(32))
  return restoreLogKey(origin, publicKey, secretKey)
}

export function restoreLogKey(origin: string, publicKey: Uint8Array, secretKey: Uint8Array): LogKey {
  checkOrigin(origin)
  return { origin, publicKey, secretKey, keyId: keyId(origin, publicKey), fingerprint: fingerprint(publicKey) }
}

function body(cp: Checkpoint): string {
  return `${cp.origin}\n${cp.size}\n${Buffer.from(cp.rootHash).toString('base64')}\n`
}

export function signCheckpoint(cp: Checkpoint, key: LogKey): string {
  if (cp.origin !== key.origin) throw new CheckpointError(`the key signs for ${key.origin}, not ${cp.origin}`)
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new CheckpointError(`tree size ${cp.size} is not a whole number`)
  const text = body(cp)
  const signature = ml_dsa65.sign(Buffer.from(text, 'utf8'), key.secretKey)
  return `${text}\n${EM_DASH} ${key.origin} ${Buffer.concat([key.keyId, Buffer.from(signature)]).toString('base64')}\n`
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** Parse a signed checkpoint strictly; the signatures are returned, not checked. */
export function parseCheckpoint(note: string): { checkpoint: Checkpoint; text: string; signatures: { name: string; keyId: Buffer; signature: Buffer }[] } {
  const split = note.indexOf('\n\n')
  if (split < 0) throw new CheckpointError('a signed note needs a blank line between the text and the signatures')
  const text = note.slice(0, split + 1)
  const lines = text.split('\n').slice(0, -1)
  if (lines.length < 3) throw new CheckpointError('a checkpoint has an origin, a tree size and a root hash')
  const [origin, sizeText, rootText] = lines
  if (!origin || origin !== origin.trim()) throw new CheckpointError('the origin line is empty or has surrounding spaces')
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new CheckpointError(`tree size "${sizeText}" is not a decimal number`)
  const size = Number(sizeText)
  if (!Number.isSafeInteger(size)) throw new CheckpointError(`tree size ${sizeText} is too large`)
  if (!BASE64.test(rootText)) throw new CheckpointError('the root hash is not base64')
  const rootHash = Buffer.from(rootText, 'base64')
  if (rootHash.length !== 32 || rootHash.toString('base64') !== rootText) throw new CheckpointError('the root hash is not 32 bytes of canonical base64')
  const sigBlock = note.slice(split + 2)
  if (!sigBlock.endsWith('\n')) throw new CheckpointError('the signature block must end with a newline')
  const signatures = sigBlock
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line)
      if (!m || !BASE64.test(m[2])) throw new CheckpointError(`"${line.slice(0, 60)}" is not a signature line`)
      const raw = Buffer.from(m[2], 'base64')
      if (raw.length < 5) throw new CheckpointError('a signature line is too short')
      return { name: m[1], keyId: raw.subarray(0, 4), signature: raw.subarray(4) }
    })
  if (signatures.length === 0) throw new CheckpointError('the note carries no signature')
  return { checkpoint: { origin, size, rootHash }, text, signatures }
}

/** Verify a signed checkpoint with `publicKey` for `origin`; returns what it says, or throws. */
export function verifyCheckpoint(note: string, publicKey: Uint8Array, origin: string): Checkpoint {
  const { checkpoint, text, signatures } = parseCheckpoint(note)
  if (checkpoint.origin !== origin) throw new CheckpointError(`the checkpoint is for ${checkpoint.origin}, not ${origin}`)
  const id = keyId(origin, publicKey)
  const mine = signatures.filter((s) => s.name === origin && s.keyId.equals(id))
  if (mine.length === 0) throw new CheckpointError(`no signature by the key ${fingerprint(publicKey).slice(0, 16)}…`)
  const message = Buffer.from(text, 'utf8')
  if (!mine.some((s) => ml_dsa65.verify(s.signature, message, publicKey))) throw new CheckpointError('the signature does not match the checkpoint')
  return checkpoint
}
