/** Calls and events of the Protocol peer and edge agent (issue #5). */
import { z } from 'zod'
import { def } from './base'

export const protocolMethods = {} as const

export const protocolEvents = {} as const

void z
void def
