/**
 * Version negotiation and feature discovery (docs/protocol.md §5). Versions are semver strings; the
 * link speaks the highest one both peers list. Features are agreed by name, at the lower version.
 */
import { fail } from './errors'

/** Versions this build speaks, best first. */
export const PROTOCOL_VERSIONS = ['4.0.0', '3.0.0'] as const
export const PREFERRED_PROTOCOL_VERSION = PROTOCOL_VERSIONS[0]

export interface Feature {
  name: string
  version: string
  description: string
}

export const FEATURES: readonly Feature[] = [
  { name: 'wasm_runtime', version: '1.0.0', description: 'Runs WebAssembly workloads (core modules with WASI, components) in per-tenant pools' },
  { name: 'ai_llm_integration', version: '1.0.0', description: 'Natural-language operations turned into typed, safety-rated intents' },
  { name: 'edge_cloud_continuum', version: '1.0.0', description: 'Registers as an edge device: capabilities, heartbeats, placement of replicas' },
  { name: 'quantum_crypto', version: '1.0.0', description: 'X25519 + ML-KEM-768 key exchange, ML-DSA-65 identities, AEAD records' },
  { name: 'enhanced_compression', version: '1.0.0', description: 'Per-message deflate or brotli, kept only when it measurably saves bytes' },
  { name: 'delta_state_sync', version: '1.0.0', description: 'State sent as a merge patch against the last acknowledged state' },
  { name: 'streams', version: '1.0.0', description: 'Byte streams with credit-based backpressure over one link' },
]

/** Features a v3 peer has: no encryption, no streams, HDE compression. */
export const V3_FEATURES: readonly string[] = ['wasm_runtime', 'edge_cloud_continuum']

const SEMVER = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-([0-9A-Za-z.-]{1,64}))?$/

export interface SemVer {
  major: number
  minor: number
  patch: number
  pre?: string
}

export function parseSemver(text: string): SemVer {
  const m = SEMVER.exec(text)
  if (!m) return fail('bad_field', `not a semver version: ${JSON.stringify(text.slice(0, 40))} (expected MAJOR.MINOR.PATCH)`)
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), ...(m[4] ? { pre: m[4] } : {}) }
}

/** Semver precedence: a pre-release sorts below its release; identifiers compared as semver says. */
export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a)
  const y = parseSemver(b)
  if (x.major !== y.major) return x.major - y.major
  if (x.minor !== y.minor) return x.minor - y.minor
  if (x.patch !== y.patch) return x.patch - y.patch
  if (x.pre === y.pre) return 0
  if (x.pre === undefined) return 1
  if (y.pre === undefined) return -1
  return comparePre(x.pre, y.pre)
}

function comparePre(a: string, b: string): number {
  const xs = a.split('.')
  const ys = b.split('.')
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const p = xs[i]
    const q = ys[i]
    if (p === undefined) return -1
    if (q === undefined) return 1
    const pn = /^\d+$/.test(p)
    const qn = /^\d+$/.test(q)
    if (pn && qn) {
      if (Number(p) !== Number(q)) return Number(p) - Number(q)
    } else if (pn !== qn) return pn ? -1 : 1
    else if (p !== q) return p < q ? -1 : 1
  }
  return 0
}

/**
 * The highest version in both lists. Two versions are the same when they compare equal. Refuses,
 * naming both lists, when there is none in common.
 */
export function negotiate(theirs: readonly string[], ours: readonly string[] = PROTOCOL_VERSIONS): string {
  if (!Array.isArray(theirs) || theirs.length === 0) fail('no_common_version', 'the peer offered no protocol versions')
  if (theirs.length > 64) fail('bad_field', `the peer offered ${theirs.length} versions; at most 64 are read`)
  const valid = theirs.filter((v) => typeof v === 'string' && SEMVER.test(v))
  const common = ours.filter((mine) => valid.some((t) => compareSemver(t, mine) === 0))
  if (common.length === 0) {
    const shown = theirs.slice(0, 8).map((v) => JSON.stringify(String(v).slice(0, 40)))
    return fail('no_common_version', `no common protocol version: the peer offers ${shown.join(', ')}${theirs.length > 8 ? ', …' : ''}; this console speaks ${ours.join(', ')}`)
  }
  return common.sort(compareSemver).at(-1)!
}

/** Features both sides have, by name, each at the lower of the two versions. */
export function agreeFeatures(theirs: readonly Feature[], ours: readonly Feature[] = FEATURES): Feature[] {
  const byName = new Map(theirs.filter((f) => f && typeof f.name === 'string' && SEMVER.test(f.version)).map((f) => [f.name, f]))
  const agreed: Feature[] = []
  for (const mine of ours) {
    const other = byName.get(mine.name)
    if (!other) continue
    agreed.push({ ...mine, version: compareSemver(other.version, mine.version) < 0 ? other.version : mine.version })
  }
  return agreed
}

export const majorOf = (version: string): number => parseSemver(version).major
