import { EventStoreDBClient } from '@eventstore/db-client'
import { KurrentDBClient } from '@kurrent/kurrentdb-client'

/**
 * A client this adapter talks through: `KurrentDBClient` of
 * `@kurrent/kurrentdb-client` (recommended, the default for connection
 * strings) or `EventStoreDBClient` of `@eventstore/db-client` 6.x.
 */
export type EventStoreClient = KurrentDBClient | EventStoreDBClient

/**
 * The one shape the adapter's modules use: the `@eventstore/db-client` API.
 * {@link toAdapterClient} is the only place that knows how the KurrentDB
 * client differs from it; errors are read in both shapes by `client-errors`.
 */
export type AdapterClient = EventStoreDBClient

/** A client for a connection string: the KurrentDB client, which also reads `esdb://` strings. */
export const clientOf = (connectionString: string): KurrentDBClient =>
  // The KurrentDB client warns on every `esdb://` string; both schemes mean the same server.
  KurrentDBClient.connectionString(connectionString.replace(/^esdb(\+discover)?:\/\//, 'kurrentdb$1://'))

/** True for a client of `@kurrent/kurrentdb-client`. */
export const isKurrentDBClient = (client: unknown): client is KurrentDBClient => client instanceof KurrentDBClient

/**
 * Reads of the KurrentDB client are async iterators without `cancel()`:
 * give them one that ends the iteration, as the adapter cancels every read
 * it leaves early.
 */
const cancellable = <T>(read: AsyncIterableIterator<T>): AsyncIterableIterator<T> & { cancel(): Promise<void> } =>
  Object.assign(read, {
    async cancel(): Promise<void> {
      await read.return?.()
    },
  })

/**
 * The adapter's view of `client`. The KurrentDB client differs where the
 * adapter uses it in two ways: an append's expected revision is its
 * `streamState` option (an `expectedRevision` would be ignored silently),
 * and reads have no `cancel()`. Everything else (constants, events,
 * subscriptions, persistent subscriptions, deletes) has the same shape.
 */
export const toAdapterClient = (client: EventStoreClient): AdapterClient => {
  if (!isKurrentDBClient(client)) return client
  const overrides: Record<PropertyKey, unknown> = {
    appendToStream: (streamName: string, events: unknown, { expectedRevision, ...options }: { expectedRevision?: unknown } = {}) =>
      client.appendToStream(streamName, events as never, { ...options, ...(expectedRevision !== undefined ? { streamState: expectedRevision as never } : {}) }),
    readStream: (streamName: string, options?: object) => cancellable(client.readStream(streamName, options)),
    readAll: (options?: object) => cancellable(client.readAll(options)),
  }
  return new Proxy(client, {
    get(target, property) {
      if (property in overrides) return overrides[property]
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  }) as unknown as AdapterClient
}
