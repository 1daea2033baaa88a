import type { EventName, EventPayload } from './api/contract'

type Listener = (event: EventName, data: unknown) => void

/** Events every client hears (settings changed, later: audit, edge, metrics). */
export class EventBus {
  private readonly listeners = new Set<Listener>()

  emit<E extends EventName>(event: E, data: EventPayload<E>): void {
    for (const listener of this.listeners) listener(event, data)
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
