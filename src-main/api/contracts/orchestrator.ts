/** Calls and events of the Orchestrator (issue #6). */
import { z } from 'zod'
import { def } from './base'

export const orchestratorMethods = {} as const

export const orchestratorEvents = {} as const

void z
void def
