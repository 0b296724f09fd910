import type { EventClass, RecordedEvent } from '@eventfold/core'
import { eventTypeOf } from '@eventfold/core/spi'
import { InvalidPublicationError } from '../errors'

/** How much of an integration event travels: the mapped data, or identifiers only (zero-payload). */
export type PayloadKind = 'full' | 'reference'

/**
 * How one domain event type is published. The published data is a contract
 * of its own, produced by `map`: the domain event never leaves the service as it is.
 */
export interface PublicationSpec<D = unknown, P = unknown> {
  /** The published, versioned type name (e.g. `OrderPlaced.v1`). */
  readonly type: string
  /** The topic it is published to. */
  readonly topic: string
  /**
   * `'reference'` publishes a notification: `map` returns identifiers only
   * and receivers fetch current state from this service. @default 'full'
   */
  readonly payload?: PayloadKind
  /**
   * The published data, from the recorded domain event; it must be
   * JSON-representable. Required for `'full'`.
   * @default for `'reference'`: `{ streamId }`
   */
  readonly map?: (event: RecordedEvent<D>) => P
}

/** One domain event type and how it is published; made by {@link publish}. */
export interface Publication {
  /** The domain event type this publication reads. */
  readonly eventType: string
  readonly type: string
  readonly topic: string
  readonly payload: PayloadKind
  readonly map: (event: RecordedEvent) => unknown
}

/**
 * Chooses a domain event type for publication. With an `@Event` class,
 * `map` sees the event's data typed as the class; a class decorated with
 * {@link Published} needs no second argument.
 * @throws {@link InvalidPublicationError} for an empty type or topic, a `'full'` publication without `map`, or a class without a publication.
 * @example
 * ```ts
 * publish(OrderPlaced, { type: 'OrderPlaced.v1', topic: 'orders', map: (e) => ({ orderId: e.data.orderId, total: e.data.total }) })
 * publish('CustomerMoved', { type: 'CustomerMoved.v1', topic: 'customers', payload: 'reference', map: (e) => ({ customerId: e.streamId }) })
 * ```
 */
export function publish<C extends object, P>(event: EventClass<C>, spec?: PublicationSpec<C, P>): Publication
export function publish<D = unknown, P = unknown>(eventType: string, spec: PublicationSpec<D, P>): Publication
export function publish(event: EventClass | string, given?: PublicationSpec): Publication {
  const eventType = eventTypeOf(event)
  const spec = given ?? (typeof event === 'string' ? undefined : decorated.get(event))
  if (spec === undefined) throw new InvalidPublicationError(eventType, 'it has no publication: pass one, or decorate its class with @Published')
  const payload = spec.payload ?? 'full'
  const invalid = (reason: string) => new InvalidPublicationError(eventType, reason)
  if (typeof spec.type !== 'string' || spec.type.trim() === '') throw invalid('its published type is empty')
  if (typeof spec.topic !== 'string' || spec.topic.trim() === '') throw invalid('its topic is empty')
  if (payload !== 'full' && payload !== 'reference') throw invalid(`payload is ${JSON.stringify(payload)}, expected 'full' or 'reference'`)
  if (spec.map !== undefined && typeof spec.map !== 'function') throw invalid('map is not a function')
  // Publishing the domain event's data by default would make it a public contract by accident.
  if (payload === 'full' && spec.map === undefined) throw invalid("a 'full' publication needs map: the domain event is not published as it is")
  const map = spec.map ?? ((e: RecordedEvent) => ({ streamId: e.streamId }))
  return { eventType, type: spec.type, topic: spec.topic, payload, map }
}

const decorated = new WeakMap<object, PublicationSpec>()

/**
 * Marks an `@Event` class as published, with its published contract. It only
 * records the publication: the class is published by a relay whose
 * `definePublications` lists it.
 * @example
 * ```ts
 * @Published({ type: 'OrderPlaced.v1', topic: 'orders', map: (e: RecordedEvent<OrderPlaced>) => ({ orderId: e.data.orderId }) })
 * @Event('OrderPlaced')
 * class OrderPlaced { constructor(readonly orderId: string, readonly cardNumber: string) {} }
 *
 * definePublications({ source: 'orders', publications: [publish(OrderPlaced)] })
 * ```
 */
export const Published =
  <C extends object = object, P = unknown>(spec: PublicationSpec<C, P>) =>
  (target: EventClass<C>): void => {
    decorated.set(target, spec as PublicationSpec)
  }
