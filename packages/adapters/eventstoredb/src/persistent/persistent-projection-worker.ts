import type { EventStoreClient } from '../client/client'
import type { EventFilter } from '@eventfold/core'
import { CompetingConsumerWorker, type CompetingConsumerWorkerOptions } from '@eventfold/projections'
import { projectionFilter } from '@eventfold/projections/spi'
import { PersistentSubscriptionSource, type PersistentSubscriptionSourceOptions } from './persistent-subscription-source'

/** Options of {@link persistentProjectionWorker}. */
export interface PersistentProjectionWorkerOptions
  extends CompetingConsumerWorkerOptions,
    Omit<PersistentSubscriptionSourceOptions, 'group' | 'filter' | 'projection'> {
  /** The persistent subscription group on `$all`, joined by every worker of the projection. @default the projection's name */
  readonly group?: string
  /** The events the group delivers (set when the group is created). @default the projection's event types */
  readonly filter?: EventFilter
  /** Events the server may have in flight to this worker: at least `batchSize`, or batches wait for `maxBatchWaitMs` to fill. @default batchSize */
  readonly bufferSize?: number
}

/** What {@link persistentProjectionWorker} makes: the worker, and the group it joins. */
export interface PersistentProjectionWorker {
  readonly worker: CompetingConsumerWorker
  /** Creates the group (`ensure()`), lists its parked messages (`deadLetters()`), replays them (`replayParked()`). */
  readonly group: PersistentSubscriptionSource
}

/**
 * A projection worker for scale-out on EventStoreDB: several processes run
 * one each, on the same persistent subscription group, as competing
 * consumers. The group (`Pinned`) keeps each stream on one worker, in order;
 * the worker commits batches to the document store with per-stream markers
 * in the same transaction and acknowledges them after the commit, so an event
 * delivered again is not applied twice; an event whose handler keeps failing
 * is parked in the group's parked stream, the projection's dead letters.
 * The worker's `run()` refuses a document store without transactions
 * (`TransactionsRequiredError`).
 * @example
 * ```ts
 * const { worker, group } = persistentProjectionWorker(client, { projection, documents })
 * await group.ensure()
 * const running = worker.run()
 * ```
 */
export const persistentProjectionWorker = (client: EventStoreClient, options: PersistentProjectionWorkerOptions): PersistentProjectionWorker => {
  const { projection, group = projection.name, filter = projectionFilter(projection), startFrom, bufferSize, settings, credentials, ...rest } = options
  const batchSize = options.batchSize ?? 100
  const source = new PersistentSubscriptionSource(client, {
    group,
    filter,
    projection: projection.name,
    bufferSize: bufferSize ?? batchSize,
    ...(startFrom !== undefined ? { startFrom } : {}),
    ...(settings ? { settings } : {}),
    ...(credentials ? { credentials } : {}),
    ...(options.generation !== undefined ? { generation: options.generation } : {}),
  })
  return { worker: new CompetingConsumerWorker(source, { ...rest, projection, batchSize }), group: source }
}
