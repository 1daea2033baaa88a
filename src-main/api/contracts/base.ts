/**
 * What every part of the contract is built from. Each engine's calls live in their own file beside
 * this one (wasm.ts, protocol.ts, …) and contract.ts joins them into the one contract.
 * Like contract.ts: zod only, no Node or DOM imports.
 */
import { z } from 'zod'

export const Empty = z.object({}).strict()

/** In rising order of risk: the intent engine ranks and raises levels by this order. */
export const SafetyLevel = z.enum(['safe', 'caution', 'dangerous', 'critical'])
export type SafetyLevel = z.infer<typeof SafetyLevel>

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  summary: string
  input: I
  output: O
  /** REST route, when the call is also offered over HTTP. GET routes read their input from the query string. */
  rest?: { method: HttpMethod; path: `/v4/${string}` }
  /** Calls answered without a token (only health). */
  public?: boolean
  /** Largest HTTP body the call accepts, when more than the server's default (4 MiB). */
  maxBodyBytes?: number
}

export function def<I extends z.ZodType, O extends z.ZodType>(d: MethodDef<I, O>): MethodDef<I, O> {
  return d
}

