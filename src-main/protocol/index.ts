/**
 * Public face of the protocol engine: the DWCP v4 codec and its v3 compatibility, negotiation, the
 * post-quantum handshake, the encrypted link over TCP, the console's agent registry and the agent.
 */
export { PROTOCOL_VERSIONS, PREFERRED_PROTOCOL_VERSION, FEATURES, negotiate, agreeFeatures, compareSemver, type Feature } from './negotiate'
export { ProtocolError, type ProtocolErrorKind } from './errors'
export { decodeToJson, detectKind, parseHex, FRAME_KINDS, type FrameKind } from './decode'
export { zstdReady } from './v3'
export { ProtocolConsole, PROTOCOL_MIGRATIONS, DEFAULT_AGENT_PORT, type ConnectedAgent, type AgentCapabilities, type AgentEventMap } from './console'
export { EdgeAgent, type AgentOptions } from './agent'
export { connectToConsole, type ClientResult } from './session'
export { Link, type RequestHandler, type StreamHandler } from './link'
export type { Json } from './compression'
export { createIdentity, createClientHello, type Identity, type Suite, SUITES } from './handshake'
