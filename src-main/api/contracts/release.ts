/** Calls and events of the Release manager (issue #7): none yet. */
export const releaseMethods = {} as const

export const releaseEvents = {} as const
