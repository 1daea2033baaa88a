import { isMethodName, methods, type CallOutput, type EventName, type EventPayload, type MethodName, type ParsedInput } from './contract'
import { ApiError } from './errors'

/** Who is calling, so a handler can address events to that client alone (terminal output). */
export interface CallContext {
  /** Stable for the life of a connection (an IPC window, a WebSocket, one CLI run). */
  clientId: string
  transport: 'ipc' | 'ws' | 'http' | 'cli' | 'test'
  /** Set when the call is a step of an intent: its audit entry carries the intent's id. */
  intentId?: string
  /** Send an event to this client only. */
  emit<E extends EventName>(event: E, data: EventPayload<E>): void
}

export type Handler<M extends MethodName> = (input: ParsedInput<M>, ctx: CallContext) => CallOutput<M> | Promise<CallOutput<M>>
export type Handlers = { [M in MethodName]: Handler<M> }

export type Dispatch = (method: string, input: unknown, ctx: CallContext) => Promise<unknown>

/**
 * The single entry every transport goes through: unknown method → not_found, input failing its schema
 * → bad_request with the zod issues (and the handler never runs, so nothing is written).
 */
export function createDispatch(handlers: Handlers): Dispatch {
  return async (method, input, ctx) => {
    if (!isMethodName(method)) throw new ApiError('not_found', `unknown method: ${String(method).slice(0, 100)}`)
    const parsed = methods[method].input.safeParse(input ?? {})
    if (!parsed.success) throw ApiError.fromZod(`input for ${method}`, parsed.error)
    const handler = handlers[method] as (input: unknown, ctx: CallContext) => unknown
    return await handler(parsed.data, ctx)
  }
}

/** The handlers of some of the contract's calls: what each engine's file in src-main/handlers/ returns. */
export type HandlersFor<K extends MethodName> = { [M in K]: Handler<M> }
