/**
 * Payload compression of v4 frames (none / deflate / brotli) chosen per message, and the JSON delta
 * used for state sync. Small payloads are never worth a compressor call; for the rest the gain each
 * algorithm actually achieved on this link decides, so a stream of incompressible bytes (already
 * compressed WASM, ciphertext) stops paying for attempts after a few tries.
 */
import { brotliCompressSync, brotliDecompressSync, constants, deflateRawSync, inflateRawSync } from 'node:zlib'
import { Compression, DEFAULT_MAX_PAYLOAD } from './frame'
import { fail } from './errors'

/** Below this size the 32-byte header dominates; compressing only costs time. */
export const MIN_COMPRESS_BYTES = 512
/** Keep a compressed payload only when it saves at least this fraction. */
const MIN_GAIN = 0.1

export function compressWith(id: number, payload: Uint8Array): Uint8Array {
  if (id === Compression.none) return payload
  if (id === Compression.deflate) return deflateRawSync(payload, { level: 6 })
  if (id === Compression.brotli)
    return brotliCompressSync(payload, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: payload.length } })
  return fail('bad_field', `unknown compression id ${id}`)
}

export function decompressWith(id: number, bytes: Uint8Array, maxBytes = DEFAULT_MAX_PAYLOAD): Uint8Array {
  if (id === Compression.none) return bytes
  try {
    if (id === Compression.deflate) return inflateRawSync(bytes, { maxOutputLength: maxBytes })
    if (id === Compression.brotli) return brotliDecompressSync(bytes, { maxOutputLength: maxBytes })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_BUFFER_TOO_LARGE') return fail('too_large', `payload decompresses past the limit of ${maxBytes} bytes`)
    return fail('decompress', `${id === 1 ? 'deflate' : 'brotli'} payload does not decompress: ${(err as Error).message}`)
  }
  return fail('bad_field', `unknown compression id ${id}`)
}

/** Per-link chooser: remembers the gain each algorithm achieved and backs off when it is poor. */
export class CompressionChooser {
  private skipUntil = 0
  private sent = 0
  /** Bytes before and after compression, for the compression ratio the UI shows. */
  plainBytes = 0
  wireBytes = 0

  constructor(private readonly allowed: readonly number[] = [Compression.none, Compression.deflate, Compression.brotli]) {}

  choose(payload: Uint8Array, bulk = false): { compression: number; bytes: Uint8Array } {
    this.sent++
    this.plainBytes += payload.length
    const pick = bulk && this.allowed.includes(Compression.brotli) ? Compression.brotli : this.allowed.includes(Compression.deflate) ? Compression.deflate : Compression.none
    if (payload.length < MIN_COMPRESS_BYTES || pick === Compression.none || this.sent < this.skipUntil) {
      this.wireBytes += payload.length
      return { compression: Compression.none, bytes: payload }
    }
    const packed = compressWith(pick, payload)
    if (packed.length > payload.length * (1 - MIN_GAIN)) {
      // Poor gain: stop trying for a while, then measure again (the content may change).
      this.skipUntil = this.sent + 32
      this.wireBytes += payload.length
      return { compression: Compression.none, bytes: payload }
    }
    this.wireBytes += packed.length
    return { compression: pick, bytes: packed }
  }

  get ratio(): number {
    return this.wireBytes === 0 ? 1 : this.plainBytes / this.wireBytes
  }
}

// ---------- delta for state sync (JSON merge patch, RFC 7396) ----------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The merge patch that turns `base` into `next`, or undefined when they are equal. State values may
 * not be null themselves: in a merge patch null means "removed".
 */
export function diffState(base: Json | undefined, next: Json): Json | undefined {
  if (!isObject(base) || !isObject(next)) return JSON.stringify(base) === JSON.stringify(next) ? undefined : next
  const patch: Record<string, Json> = {}
  let changed = false
  for (const key of Object.keys(next)) {
    const d = diffState(base[key], next[key]!)
    if (d !== undefined) {
      patch[key] = d
      changed = true
    }
  }
  for (const key of Object.keys(base)) {
    if (!(key in next)) {
      patch[key] = null
      changed = true
    }
  }
  return changed ? patch : undefined
}

export function applyPatch(base: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch
  const out: Record<string, Json> = isObject(base) ? { ...base } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key]
    else out[key] = applyPatch(out[key], value)
  }
  return out
}
export type { Json }
