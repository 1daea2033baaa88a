/** Calls and events of the Protocol peer and edge agents (issue #5). */
import { z } from 'zod'
import { def, Empty } from './base'

const Version = z.string().max(80)

export const ProtocolFeature = z.object({ name: z.string(), version: z.string(), description: z.string() })
export type ProtocolFeature = z.infer<typeof ProtocolFeature>

/** Frames a link refused, by reason: never delivered, counted for the operator. */
export const RejectedCounters = z.object({
  replay: z.number().int(),
  reorder: z.number().int(),
  stale: z.number().int(),
  tampered: z.number().int(),
  malformed: z.number().int(),
})
export type RejectedCounters = z.infer<typeof RejectedCounters>

export const ProtocolPeer = z.object({
  agentId: z.string(),
  name: z.string(),
  address: z.string(),
  /** The protocol version the link speaks now ("3.0.0" after a rollback or for a v3-only agent). */
  version: z.string(),
  /** False on a v3 link: no encryption, no integrity protection. */
  encrypted: z.boolean(),
  /** e.g. "X25519MLKEM768 + ML-DSA-65 / aes-256-gcm"; "none (v3)" when unencrypted. */
  cipherSuite: z.string(),
  fingerprint: z.string().nullable(),
  features: z.array(z.string()),
  rttMs: z.number().nullable(),
  bytesIn: z.number(),
  bytesOut: z.number(),
  /** Plain bytes ÷ bytes on the wire for what this console sent (1 = no gain). */
  compressionRatio: z.number(),
  keyEpoch: z.number().int(),
  rejected: RejectedCounters,
  connectedAt: z.string(),
  lastSeenAt: z.string(),
  capabilities: z.object({ region: z.string(), cpu: z.number(), memoryMb: z.number(), gpus: z.number() }),
})
export type ProtocolPeer = z.infer<typeof ProtocolPeer>

export const ProtocolStatus = z.object({
  listening: z.object({ host: z.string(), port: z.number().int() }).nullable(),
  fingerprint: z.string(),
  versions: z.array(z.string()),
  /** The version every link is pinned to by a rollback, or null. */
  pinnedVersion: z.string().nullable(),
  allowV3: z.boolean(),
  peers: z.array(ProtocolPeer),
  /** Refusals before a link existed (bad handshakes, unknown versions, refused v3, bad tokens). */
  refusedConnections: z.number().int(),
  rejectedTotals: RejectedCounters,
  enrolled: z.array(z.object({ name: z.string(), fingerprint: z.string(), enrolledAt: z.string() })),
})
export type ProtocolStatus = z.infer<typeof ProtocolStatus>

const HexInput = z.string().max(64 * 1024 * 1024)

export const protocolMethods = {
  'protocol.features': def({ summary: 'The protocol versions and features this console speaks', input: Empty, output: z.object({ versions: z.array(z.string()), features: z.array(ProtocolFeature) }), rest: { method: 'GET', path: '/v4/protocol/features' } }),
  'protocol.negotiate': def({
    summary: 'The version this console would choose from a peer’s list (highest in common), and the features both have',
    input: z.object({ versions: z.array(Version).min(1).max(64), features: z.array(ProtocolFeature).max(64).optional() }).strict(),
    output: z.object({ version: z.string(), features: z.array(ProtocolFeature) }),
    rest: { method: 'POST', path: '/v4/protocol/negotiate' },
  }),
  'protocol.decode': def({
    summary: 'Decode one v4 frame, v3 UDP frame, HDE v3 container or v3 federation message given in hex',
    input: z.object({ hex: HexInput, as: z.enum(['v4', 'v3-udp', 'hde-v3', 'v3-federation']).optional() }).strict(),
    output: z.record(z.string(), z.unknown()),
    rest: { method: 'POST', path: '/v4/protocol/decode' },
  }),
  'protocol.status': def({ summary: 'Connected agents with version, cipher suite, RTT, bytes, compression and refused frames', input: Empty, output: ProtocolStatus, rest: { method: 'GET', path: '/v4/protocol/status' } }),
  'protocol.token': def({
    summary: 'Issue a one-time enrolment token for a new agent (shown once; valid for the given minutes)',
    input: z.object({ minutes: z.number().int().min(1).max(7 * 24 * 60).optional() }).strict(),
    output: z.object({ token: z.string(), expiresAt: z.string() }),
    rest: { method: 'POST', path: '/v4/protocol/token' },
  }),
  'protocol.allowV3': def({
    summary: 'Allow or refuse unencrypted DWCP v3 agents',
    input: z.object({ allow: z.boolean() }).strict(),
    output: z.object({ allowV3: z.boolean() }),
    rest: { method: 'POST', path: '/v4/protocol/allow-v3' },
  }),
  'protocol.forget': def({
    summary: 'Forget an enrolled agent: its key is no longer accepted and it is disconnected',
    input: z.object({ name: z.string().min(1).max(128) }).strict(),
    output: z.object({ name: z.string(), disconnected: z.boolean() }),
    rest: { method: 'POST', path: '/v4/protocol/forget' },
  }),
  'protocol.call': def({
    summary: 'Run a WASM workload on a connected agent over its link and wait for the answer',
    input: z
      .object({
        agent: z.string().min(1).max(128),
        builtin: z.string().min(1).max(64).optional(),
        /** Your own module instead of a built-in one. */
        moduleBase64: z.string().min(1).max(Math.ceil((16 * 1024 * 1024) / 3) * 4).optional(),
        invoke: z.string().max(255).optional(),
        args: z.array(z.number().finite()).max(8).optional(),
        inputText: z.string().max(1024 * 1024).optional(),
        timeoutMs: z.number().int().positive().max(600_000).optional(),
      })
      .strict()
      .refine((v) => (v.builtin === undefined) !== (v.moduleBase64 === undefined), 'give builtin or moduleBase64 (one of them)'),
    output: z.object({ agent: z.string(), result: z.unknown(), roundTripMs: z.number() }),
    maxBodyBytes: 24 * 1024 * 1024,
    rest: { method: 'POST', path: '/v4/protocol/call' },
  }),
} as const

export const protocolEvents = {
  /** An agent connected, disconnected, renegotiated, or had frames refused: protocol views refresh. */
  protocol: z.object({ kind: z.enum(['connect', 'disconnect', 'renegotiate', 'rejected', 'refused']), agent: z.string(), detail: z.string() }),
} as const
