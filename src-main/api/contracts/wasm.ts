/** Calls and events of the WASM pool (issue #4). */
import { z } from 'zod'
import { def } from './base'

export const wasmMethods = {} as const

export const wasmEvents = {} as const

void z
void def
