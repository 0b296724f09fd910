import { PassThrough } from 'node:stream'
import { describe, expect, it } from '@jest/globals'
import { BACKWARDS, type AllStreamResolvedEvent } from '@eventstore/db-client'
import { ConcurrencyError } from '@eventfold/core'
import { StreamTombstonedError } from '../errors'
import { encodePosition } from '../mapping/position'
import { clientShapes } from '../test-support/client-shapes'
import { EventStoreDBEventStore } from './eventstoredb-event-store'

const opened = [{ type: 'Opened', data: {} }]

describe.each(clientShapes)('EventStoreDBEventStore through the $name', (shape) => {
  const { StreamDeletedError, StreamNotFoundError, WrongExpectedVersionError } = shape.errors

  describe('appends', () => {
    it('passes the expected revision in the client’s own option', async () => {
      const seen: Record<string, unknown>[] = []
      const client = shape.client({
        appendToStream: async (_stream: string, _events: unknown, options: Record<string, unknown>) => {
          seen.push(options)
          return { success: true, nextExpectedRevision: 3n, position: { commit: 100n, prepare: 100n } }
        },
      })

      await new EventStoreDBEventStore(client).appendToStream('Account-1', opened, { expectedRevision: 2n })

      expect(seen).toEqual([{ [shape.expectedRevisionOption]: 2n }])
    })
  })

  describe('on deleted streams', () => {
    /**
     * The client's answers for a deleted stream, without a server: the
     * server refuses an append expecting `stream_exists` with "stream
     * deleted" both for a soft-deleted and a tombstoned stream; only a read
     * tells them apart (not found after a soft delete, deleted after a tombstone).
     */
    const deletedStreamClient = (readError: unknown) =>
      shape.client({
        appendToStream: async (streamName: string) => {
          throw StreamDeletedError.fromStreamName(streamName)
        },
        readStream: () => shape.read([], readError),
      })

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

  describe('deleteStream', () => {
    /** The server's answer to a soft delete of a stream that does not exist, whatever was expected. */
    const missing = (expected: 'any' | 'no_stream' | bigint) =>
      shape.client({
        deleteStream: async (streamName: string) => {
          throw new WrongExpectedVersionError(undefined, { streamName, expected, current: 'no_stream' })
        },
      })

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

    it('reads the actual revision of a refused delete', async () => {
      const client = shape.client({
        deleteStream: async (streamName: string) => {
          throw new WrongExpectedVersionError(undefined, { streamName, expected: 1n, current: 4n })
        },
      })

      await expect(new EventStoreDBEventStore(client).deleteStream('Account-1', { expectedRevision: 1n })).rejects.toMatchObject({
        type: 'concurrency',
        expected: 1n,
        actual: 4n,
      })
    })
  })

  describe('filtered forward readAll', () => {
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

    /**
     * A client of a server at `version`, whose catch-up subscription never
     * says it caught up (as servers before 23.10). Its readAll applies a
     * server-side filter when given one (only the KurrentDB client sends it).
     */
    const clientOf = (version: string) => {
      const calls: string[] = []
      const client = shape.client(
        {
          readAll: ({ direction, filter }: { direction: string; filter?: { regex: string } }) => {
            calls.push(filter ? 'readAll filtered' : `readAll ${direction}`)
            const events = direction === BACKWARDS ? [log[log.length - 1]!] : [...log, later]
            return shape.read(filter ? events.filter((e) => new RegExp(filter.regex.replace('\\z', '$')).test(e.event!.type)) : events)
          },
          readStream: (streamId: string) => shape.read([...log, later].filter((e) => e.event!.streamId === streamId)),
          subscribeToAll: () => {
            calls.push('subscribeToAll')
            const upstream = Object.assign(new PassThrough({ objectMode: true }), { unsubscribe: async () => undefined })
            for (const e of [...log, later]) upstream.write(e)
            return upstream
          },
        },
        version,
      )
      return { client, calls }
    }

    const read = async (events: EventStoreDBEventStore) => {
      const out: bigint[] = []
      for await (const e of events.readAll({ filter: { eventTypes: ['Deposited'] } })) out.push(e.position)
      return out
    }

    it('ends on a server that never says it caught up (before 23.10)', async () => {
      const { client, calls } = clientOf('22.10.4.0')

      expect(await read(new EventStoreDBEventStore(client))).toEqual([encodePosition(at(1)), encodePosition(at(4))])
      expect(calls).not.toContain('subscribeToAll')
    })

    it('ends on a current server without waiting for the caughtUp message', async () => {
      const { client } = clientOf('24.10.0.1306')

      expect((await read(new EventStoreDBEventStore(client)))[0]).toBe(encodePosition(at(1)))
    })

    if (shape.name === 'KurrentDB client') {
      it('has the server filter the read itself', async () => {
        const { client, calls } = clientOf('25.0.0')

        await read(new EventStoreDBEventStore(client))
        expect(calls).toEqual(['readAll filtered'])
      })
    } else {
      it('reads through a server-filtered subscription bounded by the head it started with', async () => {
        const { client, calls } = clientOf('24.10.0.1306')

        expect(await read(new EventStoreDBEventStore(client))).toEqual([encodePosition(at(1))])
        expect(calls).toContain('subscribeToAll')
      })
    }
  })

  describe('on events removed from their streams', () => {
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
    const client = shape.client(
      {
        readAll: () => shape.read(all),
        // What stream reads return now: the deleted stream is not found, the truncated one starts at revision 1.
        readStream: (streamId: string) =>
          streamId === 'Deleted-1'
            ? shape.read([], new StreamNotFoundError(undefined, streamId))
            : shape.read(all.filter((e) => e.event!.streamId === streamId && (streamId !== 'Truncated-1' || e.event!.revision >= 1n))),
      },
      '24.10.0.1306',
    )

    const positions = async (events: EventStoreDBEventStore) => {
      const out: bigint[] = []
      for await (const e of events.readAll()) out.push(e.position)
      return out
    }

    it('leaves out of readAll what a read of the event’s stream no longer returns, as a scavenge would', async () => {
      expect(await positions(new EventStoreDBEventStore(client))).toEqual([encodePosition({ commit: 400n, prepare: 400n }), encodePosition({ commit: 500n, prepare: 500n })])
    })

    it('reads the last event that its stream still returns as readAll from the end', async () => {
      // The log backwards: the last event is of the deleted stream, the one before it readable.
      const backwards = [event(6, 'Deleted-1', 2n), event(5, 'Kept-1', 0n)]
      const hiding = shape.client(
        {
          readAll: () => shape.read(backwards),
          readStream: (streamId: string) =>
            streamId === 'Deleted-1' ? shape.read([], new StreamNotFoundError(undefined, streamId)) : shape.read([event(5, 'Kept-1', 0n)]),
        },
        '24.10.0.1306',
      )
      const last: bigint[] = []
      for await (const e of new EventStoreDBEventStore(hiding).readAll({ fromPosition: 'end' })) last.push(e.position)

      expect(last).toEqual([encodePosition({ commit: 500n, prepare: 500n })])
    })

    it('delivers them as the server sends them when asked to', async () => {
      expect(await positions(new EventStoreDBEventStore(client, { removedEvents: 'deliver' }))).toHaveLength(5)
    })
  })
})
