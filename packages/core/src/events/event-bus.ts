import type { RecordedEvent } from './event'
import { defaultEventRegistry, eventTypeOf, type EventClass, type EventRegistry } from './event-registry'
import { EventHandlerError } from '../errors/errors'
import { backoffDelay, sleep, type BackoffPolicy } from '../utils/backoff'

/** A handler of the in-process event bus. Receives the event instance (or data) and the recorded event. */
export type EventBusHandler = (event: unknown, recorded: RecordedEvent) => void | Promise<void>

/** Options of {@link EventBus}. */
export interface EventBusOptions {
  /** Retries of a failing handler before `publish` rejects. @default { maxAttempts: 3 } */
  readonly retry?: BackoffPolicy
  /** @default the global registry */
  readonly registry?: EventRegistry
}

/**
 * In-process publish/subscribe for events just committed by the command bus.
 * Handlers run in registration order; one that still fails after its retries
 * makes `publish` reject with {@link EventHandlerError} (never swallowed).
 * For durable, resumable reactions use a projection worker instead.
 */
export class EventBus {
  private readonly handlers = new Map<string, { name: string; handle: EventBusHandler }[]>()
  private readonly retry: BackoffPolicy
  private readonly registry: EventRegistry

  constructor({ retry = { maxAttempts: 3 }, registry = defaultEventRegistry }: EventBusOptions = {}) {
    this.retry = retry
    this.registry = registry
  }

  /** Subscribes a handler to one event type; returns a function that unsubscribes it. */
  subscribe(event: EventClass | string, handle: EventBusHandler, name = handle.name || 'anonymous'): () => void {
    const type = eventTypeOf(event)
    const list = this.handlers.get(type) ?? []
    const entry = { name, handle }
    list.push(entry)
    this.handlers.set(type, list)
    return () => {
      const i = list.indexOf(entry)
      if (i >= 0) list.splice(i, 1)
    }
  }

  /** True when any handler is subscribed. */
  get hasHandlers(): boolean {
    for (const l of this.handlers.values()) if (l.length > 0) return true
    return false
  }

  /**
   * Delivers recorded events to their handlers, in order.
   * @throws {@link EventHandlerError} for the first handler that fails after its retries.
   */
  async publish(events: readonly RecordedEvent[]): Promise<void> {
    const maxAttempts = this.retry.maxAttempts ?? 3
    for (const raw of events) {
      const list = this.handlers.get(raw.type)
      if (!list || list.length === 0) continue
      const recorded = this.registry.upcast(raw)
      const instance = this.registry.instantiate(recorded)
      for (const { name, handle } of [...list]) {
        for (let attempt = 1; ; attempt++) {
          try {
            await handle(instance, recorded)
            break
          } catch (cause) {
            if (attempt >= maxAttempts) {
              throw new EventHandlerError(recorded.type, recorded.streamId, recorded.revision, name, attempt, { cause })
            }
            await sleep(backoffDelay(attempt + 1, this.retry))
          }
        }
      }
    }
  }
}
