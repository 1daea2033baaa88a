/** Calls and events of the Intent engine (issue #8). */
import { z } from 'zod'
import { def } from './base'

export const intentMethods = {} as const

export const intentEvents = {} as const

void z
void def
