import type { EventData } from '../events/event'
import { defaultEventRegistry, type EventRegistry } from '../events/event-registry'

const STATE = Symbol('eventfold.aggregateRoot')

interface RootState {
  id: string
  pending: EventData[]
  registry: EventRegistry
  /** Routes an event to this instance's `@EventSourcingHandler`; set by the aggregate definition. */
  evolve?: (event: EventData) => void
}

/**
 * Optional base class for decorated aggregates: gives `apply()` and the id.
 * State lives in ordinary fields; only `@EventSourcingHandler` methods change it.
 */
export abstract class AggregateRoot {
  private readonly [STATE]: RootState = { id: '', pending: [], registry: defaultEventRegistry }

  /** The aggregate's id (the part of the stream id after the category). */
  get id(): string {
    return this[STATE].id
  }

  /**
   * Records a new event and applies it to this instance at once, so later
   * decisions in the same command see it.
   * @param event an `@Event` instance or plain `{ type, data }`.
   */
  protected apply(event: object): void {
    const root = this[STATE]
    const data = root.registry.toEventData(event)
    root.evolve?.(data)
    root.pending.push(data)
  }

  /** @internal used by the aggregate definition */
  static attach(root: AggregateRoot, id: string, registry: EventRegistry, evolve: (event: EventData) => void): void {
    const s = root[STATE]
    s.id = id
    s.registry = registry
    s.evolve = evolve
  }

  /** @internal used by the aggregate definition */
  static takePending(root: AggregateRoot): EventData[] {
    const s = root[STATE]
    const out = s.pending
    s.pending = []
    return out
  }
}
