import type { EventRead } from './event-store'

/**
 * What an event store offers when it can find the events of one
 * correlation id without reading the whole log (an index on
 * `metadata.correlationId`, a server-side projection): tools such as
 * `eventfold trace` use it, and scan the log when a store does not offer it.
 */
export interface CorrelationLookup {
  /**
   * The events whose `metadata.correlationId` is `correlationId`, in log
   * order; `undefined` when the store cannot look them up this time (the
   * index is missing on a database opened read-only): scan the log then.
   */
  readCorrelated(correlationId: string): Promise<EventRead | undefined>
}

/** True when `store` offers {@link CorrelationLookup}. */
export const hasCorrelationLookup = (store: object): store is CorrelationLookup =>
  typeof (store as Partial<CorrelationLookup>).readCorrelated === 'function'
