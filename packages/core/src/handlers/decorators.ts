import { eventTypeOf, type EventClass } from '../events/event-registry'
import { queryTypeOf, type QueryClass } from '../queries/query-bus'

const EVENT_HANDLERS = Symbol.for('eventfold.eventHandlers')
const QUERY_HANDLERS = Symbol.for('eventfold.queryHandlers')

type Entries = { type: string; method: string }[]

const push = (prototype: object, key: symbol, entry: { type: string; method: string }): void => {
  if (!Object.prototype.hasOwnProperty.call(prototype, key)) {
    Object.defineProperty(prototype, key, { value: [], enumerable: false })
  }
  ;(prototype as Record<symbol, Entries>)[key]!.push(entry)
}

/** Marks a service method that reacts in process to one event type after it is committed. */
export function EventHandler(event: EventClass | string): MethodDecorator {
  const type = eventTypeOf(event)
  return (prototype, method) => push(prototype, EVENT_HANDLERS, { type, method: String(method) })
}

/** Marks a service method that answers one query type. */
export function QueryHandler(query: QueryClass | string): MethodDecorator {
  const type = queryTypeOf(query)
  return (prototype, method) => push(prototype, QUERY_HANDLERS, { type, method: String(method) })
}

/** The `@EventHandler` methods of a class. */
export const eventHandlersOf = (cls: { prototype: object }): readonly { type: string; method: string }[] =>
  (cls.prototype as Record<symbol, Entries | undefined>)[EVENT_HANDLERS] ?? []

/** The `@QueryHandler` methods of a class. */
export const queryHandlersOf = (cls: { prototype: object }): readonly { type: string; method: string }[] =>
  (cls.prototype as Record<symbol, Entries | undefined>)[QUERY_HANDLERS] ?? []
