/** Calls and events of the Orchestrator (issue #6): none yet. */
export const orchestratorMethods = {} as const

export const orchestratorEvents = {} as const
