import { describe, expect, it } from '@jest/globals'
import { StreamDeletedError, StreamNotFoundError, WrongExpectedVersionError, type EventStoreDBClient } from '@eventstore/db-client'
import { ConcurrencyError } from '@eventfold/core'
import { StreamTombstonedError } from '../errors'
import { clientRead } from '../test-support/client-reads'
import { EventStoreDBEventStore } from './eventstoredb-event-store'

/**
 * The client's answers for a deleted stream, without a server: the server
 * refuses an append expecting `stream_exists` with "stream deleted" both for
 * a soft-deleted and a tombstoned stream; only a read tells them apart
 * (not found after a soft delete, deleted after a tombstone).
 */
const deletedStreamClient = (readError: unknown) =>
  ({
    appendToStream: async (streamName: string) => {
      throw StreamDeletedError.fromStreamName(streamName)
    },
    readStream: () => clientRead([], readError),
  }) as unknown as EventStoreDBClient

const opened = [{ type: 'Opened', data: {} }]

describe('EventStoreDBEventStore on deleted streams', () => {
  it('reports an append expecting stream_exists to a soft-deleted stream as a ConcurrencyError, not a tombstone', async () => {
    const events = new EventStoreDBEventStore(deletedStreamClient(new StreamNotFoundError(undefined, 'Account-1')))

    const append = events.appendToStream('Account-1', opened, { expectedRevision: 'stream_exists' })

    await expect(append).rejects.toBeInstanceOf(ConcurrencyError)
    await expect(append).rejects.toMatchObject({ streamId: 'Account-1', expected: 'stream_exists', actual: undefined })
  })

  it('reports an append expecting stream_exists to a tombstoned stream as StreamTombstonedError', async () => {
    const events = new EventStoreDBEventStore(deletedStreamClient(StreamDeletedError.fromStreamName('Account-1')))

    await expect(events.appendToStream('Account-1', opened, { expectedRevision: 'stream_exists' })).rejects.toBeInstanceOf(StreamTombstonedError)
  })

  it('reports any other refused append to a deleted stream as StreamTombstonedError', async () => {
    const events = new EventStoreDBEventStore(deletedStreamClient(new StreamNotFoundError(undefined, 'Account-1')))

    await expect(events.appendToStream('Account-1', opened, { expectedRevision: 'any' })).rejects.toBeInstanceOf(StreamTombstonedError)
  })
})

describe('EventStoreDBEventStore.deleteStream', () => {
  /** The server's answer to a soft delete of a stream that does not exist, whatever was expected. */
  const missing = (expected: 'any' | 'no_stream' | bigint) =>
    ({
      deleteStream: async (streamName: string) => {
        throw new WrongExpectedVersionError(undefined, { streamName, expected, current: 'no_stream' })
      },
    }) as unknown as EventStoreDBClient

  it('does nothing for a soft delete of a missing stream expecting any', async () => {
    await expect(new EventStoreDBEventStore(missing('any')).deleteStream('Account-1')).resolves.toEqual({ position: undefined })
  })

  it('keeps a soft delete of a missing stream expecting a revision a ConcurrencyError', async () => {
    await expect(new EventStoreDBEventStore(missing(2n)).deleteStream('Account-1', { expectedRevision: 2n })).rejects.toMatchObject({
      type: 'concurrency',
      expected: 2n,
      actual: undefined,
    })
  })
})
