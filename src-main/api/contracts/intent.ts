/** Calls and events of the Intent engine (issue #8): none yet. */
export const intentMethods = {} as const

export const intentEvents = {} as const
