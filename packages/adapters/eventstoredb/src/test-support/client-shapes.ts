import * as esdb from '@eventstore/db-client'
import * as kurrent from '@kurrent/kurrentdb-client'
import type { EventStoreClient } from '../client/client'
import { clientRead } from './client-reads'

/**
 * The two clients the adapter supports, as unit tests meet them without a
 * server: each one's own error classes, its reads (the EventStoreDB
 * client's with `cancel()`, the KurrentDB client's plain async iterators),
 * the name of its append's expected-revision option, and a client object
 * whose server calls are the test's (the real `KurrentDBClient` class, so
 * the adapter sees the client it would be given).
 */
export interface ClientShape {
  readonly name: 'EventStoreDB client' | 'KurrentDB client'
  readonly errors: Pick<typeof esdb, 'AccessDeniedError' | 'StreamDeletedError' | 'StreamNotFoundError' | 'WrongExpectedVersionError' | 'convertToCommandError'>
  /** The option of `appendToStream` that carries the expected revision. */
  readonly expectedRevisionOption: 'expectedRevision' | 'streamState'
  /** A read yielding `items`, then failing with `error` when one is given. */
  read<T>(items: readonly T[], error?: unknown): AsyncIterable<T>
  /** A client whose methods (and server version, if given) are these. */
  client(methods: Record<string, unknown>, serverVersion?: string): EventStoreClient
}

const withVersion = <C extends object>(client: C, serverVersion: string | undefined): C => {
  if (serverVersion !== undefined) Object.defineProperty(client, 'capabilities', { get: () => Promise.resolve({ serverVersion }) })
  return client
}

export const eventStoreDBShape: ClientShape = {
  name: 'EventStoreDB client',
  errors: esdb,
  expectedRevisionOption: 'expectedRevision',
  read: (items, error) => clientRead(items, error),
  client: (methods, serverVersion) => withVersion({ ...methods } as unknown as esdb.EventStoreDBClient, serverVersion),
}

export const kurrentDBShape: ClientShape = {
  name: 'KurrentDB client',
  errors: kurrent as unknown as ClientShape['errors'],
  expectedRevisionOption: 'streamState',
  read: <T>(items: readonly T[], error?: unknown): AsyncIterable<T> =>
    (async function* () {
      yield* items
      if (error !== undefined) throw error
    })(),
  client: (methods, serverVersion) =>
    withVersion(Object.assign(kurrent.KurrentDBClient.connectionString('kurrentdb://127.0.0.1:2113?tls=false'), methods), serverVersion),
}

/** Both shapes, for `describe.each`. */
export const clientShapes: readonly ClientShape[] = [eventStoreDBShape, kurrentDBShape]
