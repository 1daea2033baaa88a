/**
 * Public face of the protocol engine.
 *
 * The wire codec, negotiation and handshake arrive with the protocol issue; until then this folder
 * only states which protocol versions the product is designed to speak, so that `dwcp --version`,
 * `/v4/health` and the status bar agree on one list.
 */
export const PROTOCOL_VERSIONS = ['4.0.0', '3.0.0'] as const
export const PREFERRED_PROTOCOL_VERSION = PROTOCOL_VERSIONS[0]
export const PROTOCOL_ENGINE_READY = false
