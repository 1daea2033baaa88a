/** Calls and events of the Release manager (issue #7). */
import { z } from 'zod'
import { def } from './base'

export const releaseMethods = {} as const

export const releaseEvents = {} as const

void z
void def
