/**
 * The renderer's one API client. Inside Electron it speaks IPC through `window.dwcp` (the preload);
 * in a browser it speaks JSON over the WebSocket `/v4/stream` of `dwcp serve`. Views never know which.
 */
import type { CallInput, CallOutput, EventName, EventPayload, MethodName, WsResponse } from '../../src-main/api/contract'

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'signed-out'

export interface ApiErrorShape {
  code: string
  message: string
  issues?: { path: string; message: string }[]
}

export class CallFailed extends Error {
  constructor(readonly detail: ApiErrorShape) {
    super(detail.message)
    this.name = 'CallFailed'
  }
}

export interface ApiClient {
  readonly transport: 'ipc' | 'websocket'
  call<M extends MethodName>(method: M, input: CallInput<M>): Promise<CallOutput<M>>
  on<E extends EventName>(event: E, listener: (data: EventPayload<E>) => void): () => void
  onConnection(listener: (state: ConnectionState) => void): () => void
  readonly connection: ConnectionState
}

interface PreloadApi {
  call(method: string, input: unknown): Promise<unknown>
  onEvent(listener: (event: string, data: unknown) => void): () => void
}

declare global {
  interface Window {
    dwcp?: PreloadApi
  }
}

type AnyListener = (data: unknown) => void

class Listeners {
  private readonly byEvent = new Map<string, Set<AnyListener>>()
  add(event: string, listener: AnyListener): () => void {
    let set = this.byEvent.get(event)
    if (!set) this.byEvent.set(event, (set = new Set()))
    set.add(listener)
    return () => void set.delete(listener)
  }
  fire(event: string, data: unknown): void {
    for (const listener of this.byEvent.get(event) ?? []) listener(data)
  }
}

class IpcClient implements ApiClient {
  readonly transport = 'ipc' as const
  readonly connection: ConnectionState = 'connected'
  private readonly listeners = new Listeners()

  constructor(private readonly bridge: PreloadApi) {
    bridge.onEvent((event, data) => this.listeners.fire(event, data))
  }

  async call<M extends MethodName>(method: M, input: CallInput<M>): Promise<CallOutput<M>> {
    try {
      return (await this.bridge.call(method, input)) as CallOutput<M>
    } catch (err) {
      throw new CallFailed(err as ApiErrorShape)
    }
  }

  on<E extends EventName>(event: E, listener: (data: EventPayload<E>) => void): () => void {
    return this.listeners.add(event, listener as AnyListener)
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    listener(this.connection)
    return () => {}
  }
}

/** JSON over WebSocket with request ids; reconnects with backoff and fails pending calls when the link drops. */
class WebSocketClient implements ApiClient {
  readonly transport = 'websocket' as const
  connection: ConnectionState = 'connecting'
  private socket: WebSocket | undefined
  private nextId = 1
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>()
  private readonly listeners = new Listeners()
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>()
  private queue: string[] = []
  private retryMs = 250

  constructor(private readonly url: string) {
    this.open()
  }

  call<M extends MethodName>(method: M, input: CallInput<M>): Promise<CallOutput<M>> {
    const id = this.nextId++
    const message = JSON.stringify({ id, method, input })
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(message)
      else this.queue.push(message)
    })
  }

  on<E extends EventName>(event: E, listener: (data: EventPayload<E>) => void): () => void {
    return this.listeners.add(event, listener as AnyListener)
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener)
    listener(this.connection)
    return () => void this.connectionListeners.delete(listener)
  }

  private setConnection(state: ConnectionState): void {
    this.connection = state
    for (const listener of this.connectionListeners) listener(state)
  }

  private open(): void {
    const socket = new WebSocket(this.url)
    this.socket = socket
    let opened = false
    socket.onopen = () => {
      opened = true
      this.retryMs = 250
      this.setConnection('connected')
      for (const message of this.queue.splice(0)) socket.send(message)
    }
    socket.onmessage = (event) => {
      let message: WsResponse
      try {
        message = JSON.parse(String(event.data)) as WsResponse
      } catch {
        return console.warn('unreadable message from the host')
      }
      this.receive(message)
    }
    socket.onclose = () => {
      for (const [, p] of this.pending) p.reject(new CallFailed({ code: 'unavailable', message: 'the connection to the host was lost' }))
      this.pending.clear()
      this.queue = []
      // A socket refused before it ever opened may mean the session is gone: right after load, or on a
      // reconnect to a host that restarted (sessions live in its memory). Ask before retrying forever.
      if (!opened) {
        void this.checkSignedIn()
        return
      }
      this.setConnection('reconnecting')
      setTimeout(() => this.open(), this.retryMs)
      this.retryMs = Math.min(this.retryMs * 2, 5000)
    }
  }

  private async checkSignedIn(): Promise<void> {
    try {
      const response = await fetch('/', { redirect: 'manual' })
      if (response.type === 'opaqueredirect' || response.status === 302) {
        this.setConnection('signed-out')
        return
      }
    } catch {
      /* host unreachable: keep retrying */
    }
    this.setConnection('reconnecting')
    setTimeout(() => this.open(), this.retryMs)
    this.retryMs = Math.min(this.retryMs * 2, 5000)
  }

  private receive(message: WsResponse): void {
    if (message.type === 'event') return this.listeners.fire(message.event, message.data)
    if (message.type === 'hello') return
    if (message.id === null) return console.warn('host rejected a request:', message)
    const p = this.pending.get(message.id)
    if (!p) return
    this.pending.delete(message.id)
    if (message.type === 'result') p.resolve(message.result)
    else p.reject(new CallFailed(message.error))
  }
}

export function createClient(): ApiClient {
  if (window.dwcp) return new IpcClient(window.dwcp)
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return new WebSocketClient(`${scheme}//${location.host}/v4/stream`)
}

/** The client of this window. */
export const api: ApiClient = createClient()
