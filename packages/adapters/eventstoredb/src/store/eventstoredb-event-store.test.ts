import { PassThrough } from 'node:stream'
import { describe, expect, it } from '@jest/globals'
import {
  BACKWARDS,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type EventStoreDBClient,
} from '@eventstore/db-client'
import { ConcurrencyError } from '@eventfold/core'
import { StreamTombstonedError } from '../errors'
import { encodePosition } from '../mapping/position'
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

describe('EventStoreDBEventStore filtered forward readAll', () => {
  const at = (n: number) => ({ commit: BigInt(n * 100), prepare: BigInt(n * 100) })
  const logEvent = (n: number, type: string): AllStreamResolvedEvent => ({
    event: {
      streamId: `Account-${n}`,
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      isJson: true,
      revision: 0n,
      type,
      created: new Date(0),
      data: { n },
      metadata: { eventId: `e-${n}`, occurredAt: '2024-01-01T00:00:00.000Z', schemaVersion: 1 },
      position: at(n),
    },
  })
  // The head is event 3 when the read is called; event 4 is appended while it runs.
  const log = [logEvent(1, 'Deposited'), logEvent(2, 'Opened'), logEvent(3, 'Opened')]
  const later = logEvent(4, 'Deposited')

  /** A client of a server at `version`, whose catch-up subscription never says it caught up (as servers before 23.10). */
  const clientOf = (version: string) => {
    const calls: string[] = []
    const client = {
      capabilities: Promise.resolve({ serverVersion: version }),
      readAll: ({ direction }: { direction: string }) => {
        calls.push(`readAll ${direction}`)
        return clientRead(direction === BACKWARDS ? [log[log.length - 1]!] : [...log, later])
      },
      readStream: (streamId: string) => clientRead([...log, later].filter((e) => e.event!.streamId === streamId)),
      subscribeToAll: () => {
        calls.push('subscribeToAll')
        const upstream = Object.assign(new PassThrough({ objectMode: true }), { unsubscribe: async () => undefined })
        for (const e of [...log, later]) upstream.write(e)
        return upstream
      },
    } as unknown as EventStoreDBClient
    return { client, calls }
  }

  const read = async (client: EventStoreDBClient) => {
    const out: bigint[] = []
    for await (const e of new EventStoreDBEventStore(client).readAll({ filter: { eventTypes: ['Deposited'] } })) out.push(e.position)
    return out
  }

  it('filters on the client on a server that never says it caught up (before 23.10), and ends', async () => {
    const { client, calls } = clientOf('22.10.4.0')

    expect(await read(client)).toEqual([encodePosition(at(1)), encodePosition(at(4))])
    expect(calls).not.toContain('subscribeToAll')
  })

  it('ends the server-filtered read at the head it started with, without the caughtUp message', async () => {
    const { client, calls } = clientOf('24.10.0.1306')

    expect(await read(client)).toEqual([encodePosition(at(1))])
    expect(calls).toContain('subscribeToAll')
  })
})

describe('EventStoreDBEventStore on events removed from their streams', () => {
  const event = (n: number, streamId: string, revision: bigint): AllStreamResolvedEvent => ({
    event: {
      streamId,
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      isJson: true,
      revision,
      type: 'Deposited',
      created: new Date(0),
      data: { n },
      metadata: { eventId: `e-${n}`, occurredAt: '2024-01-01T00:00:00.000Z', schemaVersion: 1 },
      position: { commit: BigInt(n * 100), prepare: BigInt(n * 100) },
    },
  })
  // Before a scavenge, $all still holds a deleted stream's events and those before a truncation.
  const all = [event(1, 'Deleted-1', 0n), event(2, 'Truncated-1', 0n), event(3, 'Deleted-1', 1n), event(4, 'Truncated-1', 1n), event(5, 'Kept-1', 0n)]
  const client = {
    capabilities: Promise.resolve({ serverVersion: '24.10.0.1306' }),
    readAll: () => clientRead(all),
    // What stream reads return now: the deleted stream is not found, the truncated one starts at revision 1.
    readStream: (streamId: string) =>
      streamId === 'Deleted-1'
        ? clientRead([], new StreamNotFoundError(undefined, streamId))
        : clientRead(all.filter((e) => e.event!.streamId === streamId && (streamId !== 'Truncated-1' || e.event!.revision >= 1n))),
  } as unknown as EventStoreDBClient

  const positions = async (events: EventStoreDBEventStore) => {
    const out: bigint[] = []
    for await (const e of events.readAll()) out.push(e.position)
    return out
  }

  it('leaves out of readAll what a read of the event’s stream no longer returns, as a scavenge would', async () => {
    expect(await positions(new EventStoreDBEventStore(client))).toEqual([400n << 64n | 400n, 500n << 64n | 500n])
  })

  it('delivers them as the server sends them when asked to', async () => {
    expect(await positions(new EventStoreDBEventStore(client, { removedEvents: 'deliver' }))).toHaveLength(5)
  })
})
