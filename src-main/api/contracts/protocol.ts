/** Calls and events of the Protocol peer and edge agent (issue #5): none yet. */
export const protocolMethods = {} as const

export const protocolEvents = {} as const
