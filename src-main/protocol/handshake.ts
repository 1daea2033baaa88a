/**
 * The v4 handshake (docs/protocol.md §6): hybrid X25519 + ML-KEM-768 key exchange, ML-DSA-65
 * identities, HKDF-SHA256 key schedule. Pure functions over message bytes, so the TCP link, the
 * tests and the bench drive the same code.
 *
 * The client signs its own hello (fresh ephemeral keys, name, nonce) before it connects, and the
 * console checks that signature after its reply is on the way, while the client checks the
 * console's. Possession of the ephemeral secrets is proven by the auth message being sealed under
 * keys only they can derive; a replayed hello gets nowhere.
 *
 * An enrolled agent also holds the console's long-term ML-KEM-768 key, certified by the console's
 * ML-DSA-65 identity and handed over inside the first (signed) handshake. Its later hellos carry an
 * encapsulation to that key, and the console proves who it is by decapsulating it (a key
 * confirmation MAC) instead of signing: no ML-DSA signing is left on the critical path. The
 * ephemeral X25519 and ML-KEM exchanges stay, so forward secrecy does not depend on the long-term key.
 */
import { createHash, createHmac, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { fail, ProtocolError } from './errors'
import { checkJsonDepth } from './json-limits'
import { agreeFeatures, negotiate, type Feature } from './negotiate'

export const SUITES = ['aes-256-gcm', 'chacha20-poly1305'] as const
export type Suite = (typeof SUITES)[number]

export const MLKEM_EK_BYTES = 1184
export const MLKEM_CT_BYTES = 1088
export const MLDSA_PK_BYTES = 1952
const Q = 3329

export interface Identity {
  publicKey: Uint8Array
  secretKey: Uint8Array
  /** SHA-256 of the public key, hex: what is pinned and shown. */
  fingerprint: string
}

export const fingerprintOf = (publicKey: Uint8Array): string => createHash('sha256').update(publicKey).digest('hex')

export function createIdentity(seed: Uint8Array = randomBytes(32)): Identity {
  const { publicKey, secretKey } = ml_dsa65.keygen(seed)
  return { publicKey, secretKey, fingerprint: fingerprintOf(publicKey) }
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64')
const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

function unb64(value: unknown, what: string, length?: number): Uint8Array {
  if (typeof value !== 'string' || value.length > 8192 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return fail('handshake', `${what} must be base64`)
  const bytes = new Uint8Array(Buffer.from(value, 'base64'))
  if (length !== undefined && bytes.length !== length) fail('handshake', `${what} must be ${length} bytes, got ${bytes.length}`)
  return bytes
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  checkJsonDepth(bytes, what)
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'))
  } catch {
    return fail('handshake', `${what} is not JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('handshake', `${what} must be a JSON object`)
  return value as Record<string, unknown>
}

// ---------- the console's long-term ML-KEM key ----------

/** The console's long-term ML-KEM-768 key with its certificate: the console identity's signature over it. */
export interface ConsoleKem {
  ek: Uint8Array
  dk: Uint8Array
  /** First 16 bytes of SHA-256(ek), hex: names the key in hellos. */
  id: string
  signature: Uint8Array
}

/** What an agent keeps of it: the public half, checked against the console identity it pinned. */
export interface PinnedConsoleKem {
  ek: Uint8Array
  id: string
}

export const consoleKemId = (ek: Uint8Array): string => Buffer.from(sha256(ek).subarray(0, 16)).toString('hex')
const consoleKemSignedMessage = (ek: Uint8Array) => Buffer.concat([Buffer.from('dwcp4 console kem '), sha256(ek)])

export function createConsoleKem(identity: Identity): ConsoleKem {
  const { publicKey: ek, secretKey: dk } = ml_kem768.keygen()
  return { ek, dk, id: consoleKemId(ek), signature: ml_dsa65.sign(consoleKemSignedMessage(ek), identity.secretKey) }
}

/** The certificate as it travels in authOk: `{ek, id, signature}` in base64. */
export const consoleKemCertificate = (kem: ConsoleKem) => ({ ek: b64(kem.ek), id: kem.id, signature: b64(kem.signature) })

/** An agent checks a certificate with the console identity public key it just authenticated. */
export function verifyConsoleKem(certificate: unknown, consoleIdentity: Uint8Array): PinnedConsoleKem {
  const c = (typeof certificate === 'object' && certificate !== null ? certificate : {}) as Record<string, unknown>
  const ek = unb64(c.ek, 'consoleKem.ek', MLKEM_EK_BYTES)
  checkEncapsulationKey(ek)
  const signature = unb64(c.signature, 'consoleKem.signature')
  if (!ml_dsa65.verify(signature, consoleKemSignedMessage(ek), consoleIdentity)) fail('handshake', "the console's ML-KEM key is not signed by the console's identity")
  return { ek, id: consoleKemId(ek) }
}

// ---------- X25519 through node:crypto (raw 32-byte keys) ----------

function x25519Keys(): { privateKey: KeyObject; publicKey: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519')
  return { privateKey, publicKey: new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')) }
}

function x25519Shared(privateKey: KeyObject, peerPublic: Uint8Array): Uint8Array {
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peerPublic).toString('base64url') }, format: 'jwk' })
  // A low-order peer key gives all zeros: the exchange contributes nothing and is refused (RFC 7748 §6.1).
  // OpenSSL already refuses to derive it; the explicit check stays for any other provider.
  const lowOrder = () => fail('handshake', 'the X25519 exchange gave an all-zero secret (a low-order public key)')
  let shared: Uint8Array
  try {
    shared = new Uint8Array(diffieHellman({ privateKey, publicKey }))
  } catch {
    return lowOrder()
  }
  if (shared.every((b) => b === 0)) lowOrder()
  return shared
}

// ---------- ML-KEM-768 ----------

/**
 * FIPS 203 §7.2 input check of an encapsulation key: the right length, and every 12-bit coefficient
 * of its 1152-byte vector part below q (so that ByteEncode12(ByteDecode12(ek)) gives ek back).
 */
export function checkEncapsulationKey(ek: Uint8Array): void {
  if (ek.length !== MLKEM_EK_BYTES) fail('handshake', `ML-KEM-768 encapsulation key must be ${MLKEM_EK_BYTES} bytes, got ${ek.length}`)
  for (let i = 0; i < 1152; i += 3) {
    const a = ek[i]! | ((ek[i + 1]! & 0x0f) << 8)
    const b = (ek[i + 1]! >> 4) | (ek[i + 2]! << 4)
    if (a >= Q || b >= Q) fail('handshake', `ML-KEM-768 encapsulation key fails the modulus check (FIPS 203 §7.2): coefficient ${a >= Q ? a : b} ≥ ${Q}`)
  }
}

// ---------- key schedule ----------

export interface TrafficSecrets {
  clientToServer: Uint8Array
  serverToClient: Uint8Array
}

/** PRK = HKDF-Extract(salt = TH, IKM = ssK ‖ ssX); one secret per direction. */
export function deriveTrafficSecrets(sharedSecret: Uint8Array, transcriptHash: Uint8Array): TrafficSecrets {
  // HKDF-Extract is HMAC(salt, IKM) (RFC 5869 §2.2); node's hkdfSync only offers extract+expand together.
  const prk = hmacSha256(transcriptHash, sharedSecret)
  return { clientToServer: expandFrom(prk, 'dwcp4 c2s'), serverToClient: expandFrom(prk, 'dwcp4 s2c') }
}

/** The console's proof, in a resumed handshake, that it derived the same keys: HMAC(HKDF-Expand(PRK, "dwcp4 confirm"), TH). */
function keyConfirmation(sharedSecret: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return hmacSha256(expandFrom(hmacSha256(transcriptHash, sharedSecret), 'dwcp4 confirm'), transcriptHash)
}

const hmacSha256 = (key: Uint8Array, data: Uint8Array) => new Uint8Array(createHmac('sha256', key).update(data).digest())

/** HKDF-Expand(PRK, info, 32) for one block: HMAC(PRK, info ‖ 0x01). */
function expandFrom(prk: Uint8Array, info: string): Uint8Array {
  return hmacSha256(prk, Buffer.concat([Buffer.from(info), Buffer.from([1])]))
}

export const nextTrafficSecret = (secret: Uint8Array): Uint8Array => expandFrom(secret, 'dwcp4 next')

export function keyAndIv(secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  return { key: expandFrom(secret, 'dwcp4 key'), iv: expandFrom(secret, 'dwcp4 iv').subarray(0, 12) }
}

// ---------- messages ----------

export interface HelloOptions {
  identity: Identity
  name: string
  versions: readonly string[]
  features: readonly Feature[]
  suites?: readonly Suite[]
  /** The console's long-term KEM key, once enrolled: the hello then carries an encapsulation to it. */
  consoleKem?: PinnedConsoleKem
}

export interface ClientSecrets {
  x25519: KeyObject
  mlkemDk: Uint8Array
  /** The secret encapsulated to the console's long-term key, and that key's id. */
  consoleKem?: { id: string; sharedSecret: Uint8Array }
}

export interface ClientHello {
  payload: Uint8Array
  secrets: ClientSecrets
}

/**
 * A signed hello: `{"core": text, "signature": b64}`, the signature by the client's identity over
 * "dwcp4 client " ‖ SHA-256(core). Nothing in it depends on the console, so an agent prepares its
 * next hello while idle and a reconnect does not wait for keygen and signing.
 */
export function createClientHello(o: HelloOptions): ClientHello {
  const x = x25519Keys()
  const kem = ml_kem768.keygen()
  const toConsole = o.consoleKem ? { id: o.consoleKem.id, ...ml_kem768.encapsulate(o.consoleKem.ek) } : undefined
  const core = Buffer.from(
    JSON.stringify({
      versions: o.versions,
      features: o.features,
      suites: o.suites ?? SUITES,
      name: o.name,
      x25519: b64(x.publicKey),
      mlkemEk: b64(kem.publicKey),
      identity: b64(o.identity.publicKey),
      nonce: b64(randomBytes(32)),
      ...(toConsole ? { consoleKem: { id: toConsole.id, ct: b64(toConsole.cipherText) } } : {}),
    }),
  )
  const signature = ml_dsa65.sign(clientSignedMessage(core), o.identity.secretKey)
  const payload = Buffer.from(JSON.stringify({ core: core.toString('utf8'), signature: b64(signature) }))
  return { payload, secrets: { x25519: x.privateKey, mlkemDk: kem.secretKey, ...(toConsole ? { consoleKem: { id: toConsole.id, sharedSecret: toConsole.sharedSecret } } : {}) } }
}

/** What the client's signature covers: the core of its own hello, which carries its fresh ephemeral keys. */
export const clientSignedMessage = (core: Uint8Array) => Buffer.concat([Buffer.from('dwcp4 client '), sha256(core)])

export interface ParsedHello {
  /** The signed part, and the signature the console checks once its reply is on the way. */
  core: Uint8Array
  signature: Uint8Array
  versions: string[]
  features: Feature[]
  suites: string[]
  name: string
  x25519: Uint8Array
  mlkemEk: Uint8Array
  identity: Uint8Array
  fingerprint: string
  /** An encapsulation to the console's long-term KEM key (enrolled agents). */
  consoleKem?: { id: string; ct: Uint8Array }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

export function parseClientHello(payload: Uint8Array): ParsedHello {
  const outer = parseJson(payload, 'hello')
  if (typeof outer.core !== 'string' || outer.core.length > 65536) fail('handshake', 'hello.core must be text')
  const core = Buffer.from(outer.core as string, 'utf8')
  const signature = unb64(outer.signature, 'hello.signature')
  const h = parseJson(core, 'hello.core')
  if (!Array.isArray(h.versions) || h.versions.length > 64) fail('handshake', 'hello.versions must be a list of at most 64 versions')
  if (!Array.isArray(h.features) || h.features.length > 64) fail('handshake', 'hello.features must be a list')
  if (!Array.isArray(h.suites) || h.suites.length > 8) fail('handshake', 'hello.suites must be a list')
  if (typeof h.name !== 'string' || !NAME.test(h.name)) fail('handshake', 'hello.name must be 1–128 letters, digits and . _ : -')
  const identity = unb64(h.identity, 'hello.identity', MLDSA_PK_BYTES)
  const kem = h.consoleKem === undefined ? undefined : ((typeof h.consoleKem === 'object' && h.consoleKem !== null ? h.consoleKem : {}) as Record<string, unknown>)
  if (kem && (typeof kem.id !== 'string' || !/^[0-9a-f]{32}$/.test(kem.id))) fail('handshake', 'hello.consoleKem.id must be 32 hex digits')
  return {
    core,
    signature,
    versions: (h.versions as unknown[]).map(String),
    features: (h.features as unknown[]).filter((f): f is Feature => typeof f === 'object' && f !== null).map((f) => ({ name: String(f.name), version: String(f.version), description: String(f.description ?? '') })),
    suites: (h.suites as unknown[]).map(String),
    name: h.name as string,
    x25519: unb64(h.x25519, 'hello.x25519', 32),
    mlkemEk: unb64(h.mlkemEk, 'hello.mlkemEk'),
    identity,
    fingerprint: fingerprintOf(identity),
    ...(kem ? { consoleKem: { id: kem.id as string, ct: unb64(kem.ct, 'hello.consoleKem.ct', MLKEM_CT_BYTES) } } : {}),
  }
}

export interface Agreement {
  version: string
  features: Feature[]
  suite: Suite
  /** The key exchange: hybrid post-quantum, or X25519 alone when the console holds ML-KEM back (its quantum_crypto flag). */
  kex: KeyExchange
}

export type KeyExchange = 'x25519mlkem768' | 'x25519'

export interface ServerSide {
  reply: Uint8Array
  hello: ParsedHello
  agreement: Agreement
  secrets: TrafficSecrets
  transcriptHash: Uint8Array
  /** How the console proved itself: an ML-DSA signature (full handshake) or key confirmation (resumed). */
  auth: 'signature' | 'kem'
}

export interface ServerOptions {
  identity: Identity
  versions: readonly string[]
  /** What this console offers; a function when it depends on the peer (a feature flag's rollout by agent name). */
  features: readonly Feature[] | ((peerName: string) => readonly Feature[])
  /** Whether ML-KEM joins the key exchange for this peer (default: always). Off: X25519 alone, still signed with ML-DSA. */
  postQuantum?: (peerName: string) => boolean
  suites?: readonly Suite[]
  /** The console's long-term KEM key: a hello encapsulated to it gets a resumed (unsigned) handshake. */
  consoleKem?: ConsoleKem
}

/**
 * The console's answer to a hello: negotiate, check and encapsulate, exchange, then either sign the
 * transcript (full handshake) or, when the hello is encapsulated to our long-term KEM key, prove our
 * identity by decapsulating it (resumed handshake).
 */
export function respondToHello(helloPayload: Uint8Array, o: ServerOptions, hello: ParsedHello = parseClientHello(helloPayload)): ServerSide {
  const version = negotiate(hello.versions, o.versions)
  const ours = o.suites ?? SUITES
  const suite = (hello.suites.find((s) => (ours as readonly string[]).includes(s)) as Suite | undefined) ?? fail('handshake', `no common cipher suite: the peer offers ${hello.suites.join(', ') || 'none'}; this console has ${ours.join(', ')}`)
  checkEncapsulationKey(hello.mlkemEk)
  const postQuantum = o.postQuantum?.(hello.name) ?? true
  let kem: { cipherText: Uint8Array; sharedSecret: Uint8Array } | undefined
  try {
    if (postQuantum) kem = ml_kem768.encapsulate(hello.mlkemEk)
  } catch (err) {
    return fail('handshake', `ML-KEM-768 encapsulation failed: ${(err as Error).message}`)
  }
  const x = x25519Keys()
  const ssX = x25519Shared(x.privateKey, hello.x25519)
  const offered = (typeof o.features === 'function' ? o.features(hello.name) : o.features).filter((f) => postQuantum || f.name !== 'quantum_crypto')
  const agreement: Agreement = { version, features: agreeFeatures(hello.features, offered), suite, kex: postQuantum ? 'x25519mlkem768' : 'x25519' }
  // A hello encapsulated to a key we no longer hold gets a full handshake, and a new certificate.
  // Without ML-KEM there is no resumption either: the console proves itself by signing.
  const resumed = postQuantum && o.consoleKem && hello.consoleKem?.id === o.consoleKem.id ? ml_kem768.decapsulate(hello.consoleKem.ct, o.consoleKem.dk) : undefined
  const core = Buffer.from(
    JSON.stringify({
      version,
      features: agreement.features,
      suite,
      x25519: b64(x.publicKey),
      // The classical exchange says so inside the signed core, so nobody in the middle can strip ML-KEM.
      ...(kem ? { mlkemCt: b64(kem.cipherText) } : { kex: 'x25519' }),
      identity: b64(o.identity.publicKey),
      nonce: b64(randomBytes(32)),
      auth: resumed ? 'kem' : 'signature',
    }),
  )
  const transcriptHash = sha256(helloPayload, core)
  const sharedSecret = Buffer.concat(kem ? (resumed ? [kem.sharedSecret, ssX, resumed] : [kem.sharedSecret, ssX]) : [ssX])
  const proof = resumed ? { confirm: b64(keyConfirmation(sharedSecret, transcriptHash)) } : { signature: b64(ml_dsa65.sign(transcriptHash, o.identity.secretKey)) }
  const reply = Buffer.from(JSON.stringify({ core: core.toString('utf8'), ...proof }))
  return { reply, hello, agreement, secrets: deriveTrafficSecrets(sharedSecret, transcriptHash), transcriptHash, auth: resumed ? 'kem' : 'signature' }
}

export interface ClientSide {
  agreement: Agreement
  secrets: TrafficSecrets
  transcriptHash: Uint8Array
  serverFingerprint: string
  /** The console identity public key (to check the KEM certificate it sends in authOk). */
  serverIdentity: Uint8Array
  /** How the console proved its identity: by signing (full) or by decapsulating (resumed). */
  auth: 'signature' | 'kem'
}

/** The client's side once the reply is in: pin check, signature check, decapsulate, derive. */
export function finishClientHandshake(hello: ClientHello, replyPayload: Uint8Array, pinnedFingerprint?: string): ClientSide {
  const reply = parseJson(replyPayload, 'helloReply')
  if (typeof reply.core !== 'string' || reply.core.length > 16384) fail('handshake', 'helloReply.core must be text')
  const coreBytes = Buffer.from(reply.core as string, 'utf8')
  const core = parseJson(coreBytes, 'helloReply.core')
  const identity = unb64(core.identity, 'helloReply.identity', MLDSA_PK_BYTES)
  const serverFingerprint = fingerprintOf(identity)
  if (pinnedFingerprint && pinnedFingerprint !== serverFingerprint)
    fail('handshake', `the console's identity changed: pinned fingerprint ${pinnedFingerprint.slice(0, 16)}…, offered ${serverFingerprint.slice(0, 16)}… (someone may be in the middle; re-enrol only if the console was reinstalled)`)
  const transcriptHash = sha256(hello.payload, coreBytes)
  const resumed = core.auth === 'kem'
  if (resumed && !hello.secrets.consoleKem) fail('handshake', 'the console answered with key confirmation, but this hello was not encapsulated to its key')
  if (resumed && !pinnedFingerprint) fail('handshake', 'key confirmation needs a pinned console fingerprint')
  if (!resumed) {
    const signature = unb64(reply.signature, 'helloReply.signature')
    if (!ml_dsa65.verify(signature, transcriptHash, identity)) fail('handshake', "the console's signature over the handshake does not verify")
  }
  const version = String(core.version)
  const suite = String(core.suite) as Suite
  if (!SUITES.includes(suite)) fail('handshake', `the console chose an unknown cipher suite ${suite}`)
  // The console may hold ML-KEM back (its quantum_crypto flag); it says so in the core it signed.
  const kex: KeyExchange = core.kex === 'x25519' ? 'x25519' : 'x25519mlkem768'
  if (kex === 'x25519' && resumed) fail('handshake', 'a resumed handshake needs ML-KEM, but the console chose X25519 alone')
  let ssK: Uint8Array | undefined
  try {
    if (kex === 'x25519mlkem768') ssK = ml_kem768.decapsulate(unb64(core.mlkemCt, 'helloReply.mlkemCt', MLKEM_CT_BYTES), hello.secrets.mlkemDk)
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    return fail('handshake', `ML-KEM-768 decapsulation failed: ${(err as Error).message}`)
  }
  const ssX = x25519Shared(hello.secrets.x25519, unb64(core.x25519, 'helloReply.x25519', 32))
  const features = Array.isArray(core.features) ? (core.features as Feature[]) : []
  const sharedSecret = Buffer.concat(!ssK ? [ssX] : resumed ? [ssK, ssX, hello.secrets.consoleKem!.sharedSecret] : [ssK, ssX])
  if (resumed) {
    const expected = keyConfirmation(sharedSecret, transcriptHash)
    const confirm = unb64(reply.confirm, 'helloReply.confirm', 32)
    if (!timingSafeEqual(expected, confirm)) fail('handshake', 'the console could not prove its identity: the key confirmation does not match (it does not hold the ML-KEM key it certified)')
  }
  return { agreement: { version, features, suite, kex }, secrets: deriveTrafficSecrets(sharedSecret, transcriptHash), transcriptHash, serverFingerprint, serverIdentity: identity, auth: resumed ? 'kem' : 'signature' }
}

/** The console checks the client's signature over its hello with the identity the hello carried. */
export function verifyClientHello(hello: ParsedHello): boolean {
  try {
    return ml_dsa65.verify(hello.signature, clientSignedMessage(hello.core), hello.identity)
  } catch {
    return false
  }
}

export { b64 as toBase64 }
/** Restores an identity saved as base64 (seed-free: both keys kept). */
export function identityFrom(publicKey: Uint8Array, secretKey: Uint8Array): Identity {
  return { publicKey, secretKey, fingerprint: fingerprintOf(publicKey) }
}
