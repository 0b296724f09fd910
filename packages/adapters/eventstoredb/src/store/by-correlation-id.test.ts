import { describe, expect, it } from '@jest/globals'
import { START, type Position, type RecordedEvent as EsdbRecordedEvent, type ResolvedEvent } from '@eventstore/db-client'
import type { EventRead, RecordedEvent } from '@eventfold/core'
import { hasCorrelationLookup } from '@eventfold/core/spi'
import { encodePosition } from '../mapping/position'
import { clientShapes, type ClientShape } from '../test-support/client-shapes'
import { parseCheckpointTag } from './by-correlation-id'
import { EventStoreDBEventStore, type EventStoreDBEventStoreOptions } from './eventstoredb-event-store'

const at = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) })

/** An event as the server stores it: eventfold's metadata, with the `$correlationId` mirror the adapter writes. */
const stored = (
  n: number,
  streamId: string,
  correlationId: string,
  { type = 'Happened', mirror = correlationId }: { type?: string; mirror?: string } = {},
): EsdbRecordedEvent => ({
  streamId,
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  revision: 0n,
  type,
  isJson: true,
  created: new Date(0),
  data: { n },
  metadata: { eventId: `e-${n}`, occurredAt: '2024-01-01T00:00:00.000Z', schemaVersion: 1, correlationId, $correlationId: mirror },
  position: at(n),
})

/** A link the projection wrote into `$bc-<id>`, resolved (`target`) or not (the server could not read the target). */
const link = (n: number, target: EsdbRecordedEvent | undefined, correlationId = 'c1'): ResolvedEvent => {
  const record: NonNullable<ResolvedEvent['link']> = {
    streamId: `$bc-${correlationId}`,
    id: `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    revision: BigInt(n),
    type: '$>' as const,
    isJson: false as const,
    created: new Date(0),
    data: new Uint8Array(),
    metadata: {},
    position: at(10_000 + n),
  }
  // A resolved link's event arrives with the link's position, not its own.
  return target ? { event: { ...target, position: at(10_000 + n) }, link: record } : { link: record }
}

const collect = async (read: EventRead | undefined): Promise<string[]> => {
  const out: string[] = []
  for await (const e of read!) out.push(`${e.streamId}@${e.position}`)
  return out
}

/** What the fake server holds: the log, the `$bc-` streams, and the projection's status. */
interface FakeServer {
  readonly log: readonly EsdbRecordedEvent[]
  readonly links: Readonly<Record<string, readonly ResolvedEvent[]>>
  /** Events a read of their stream would no longer return (deleted, truncated). */
  readonly removed?: readonly string[]
  readonly status?: () => Promise<{ projectionStatus: string; lastCheckpoint: string }>
  readonly serverVersion?: string
  /** The connection's user may not read `$bc-` streams. */
  readonly linksDenied?: boolean
}

const fakeClient = (shape: ClientShape, server: FakeServer) => {
  const calls = { bcReads: [] as Array<Record<string, unknown>>, readAllFrom: [] as unknown[] }
  const { AccessDeniedError, StreamNotFoundError } = shape.errors
  const client = shape.client(
    {
      getProjectionStatus: async (name: string) => {
        expect(name).toBe('$by_correlation_id')
        return (server.status ?? (async () => ({ projectionStatus: 'Running', lastCheckpoint: 'C:400/P:400' })))()
      },
      readStream: (streamName: string, options: Record<string, unknown> = {}) => {
        if (streamName.startsWith('$bc-')) {
          calls.bcReads.push(options)
          if (server.linksDenied) return shape.read([], new AccessDeniedError())
          const links = server.links[streamName]
          return links ? shape.read(links) : shape.read([], new StreamNotFoundError(undefined, streamName))
        }
        const from = options.fromRevision === START ? 0n : options.fromRevision
        const e = server.log.find((x) => x.streamId === streamName && x.revision === from)
        if (!e || server.removed?.includes(streamName)) return shape.read([], new StreamNotFoundError(undefined, streamName))
        return shape.read([{ event: e }])
      },
      readAll: (options: { fromPosition: Position }) => {
        calls.readAllFrom.push(options.fromPosition)
        const from = options.fromPosition
        return shape.read(
          server.log
            .filter((e) => e.position!.commit > from.commit || (e.position!.commit === from.commit && e.position!.prepare >= from.prepare))
            .map((event) => ({ event })),
        )
      },
    },
    server.serverVersion ?? '24.10.0.1306',
  )
  return { client, calls }
}

describe('parseCheckpointTag', () => {
  it('reads the $all position of a projection checkpoint', () => {
    expect(parseCheckpointTag('C:1234/P:1200')).toEqual({ commit: 1234n, prepare: 1200n })
  })

  it.each(['', 'Phase: 0', '$bc-x: 3', 'C:-1/P:-1', 'C:10/P:20'])('reads no position from %p', (text) => {
    expect(parseCheckpointTag(text)).toBeUndefined()
  })
})

describe.each(clientShapes)('EventStoreDBEventStore.readCorrelated through the $name', (shape) => {
  const a = stored(100, 'Order-1', 'c1')
  const b = stored(200, 'Payment-1', 'c1')
  // Another writer's `$correlationId` puts it in `$bc-c1`, but eventfold's correlation id is another.
  const foreign = stored(250, 'Audit-1', 'other', { mirror: 'c1' })
  const deleted = stored(300, 'Order-2', 'c1')
  const atCheckpoint = stored(400, 'Stock-1', 'c1')
  const linkedLate = stored(500, 'Shipment-1', 'c1')
  const system = stored(600, '$stats-1', 'c1')
  const otherFlow = stored(700, 'Order-3', 'c2')
  const notYetLinked = stored(800, 'Refund-1', 'c1')
  const deletedSince = stored(900, 'Order-4', 'c1')
  const log = [a, b, foreign, deleted, atCheckpoint, linkedLate, system, otherFlow, notYetLinked, deletedSince]
  const links = {
    '$bc-c1': [
      link(0, a),
      link(1, b),
      link(2, foreign),
      // The server still resolves a link to an event of a soft-deleted stream until the scavenge.
      link(3, deleted),
      link(4, undefined),
      link(5, atCheckpoint),
      // The same event linked again, later: given once.
      link(6, a),
      link(7, linkedLate),
    ],
  }
  const store = (server: Partial<FakeServer> = {}, options: EventStoreDBEventStoreOptions = {}) => {
    const fake = fakeClient(shape, { log, links, removed: ['Order-2', 'Order-4'], ...server })
    return { store: new EventStoreDBEventStore(fake.client, options), calls: fake.calls }
  }

  it('offers the correlation lookup that eventfold trace uses', () => {
    expect(hasCorrelationLookup(store().store)).toBe(true)
  })

  it('reads the linked events up to the projection checkpoint, then the log after it, in log order', async () => {
    const { store: events, calls } = store()

    const found = await collect(await events.readCorrelated('c1'))

    expect(found).toEqual([
      `Order-1@${encodePosition(at(100))}`,
      `Payment-1@${encodePosition(at(200))}`,
      `Stock-1@${encodePosition(at(400))}`,
      `Shipment-1@${encodePosition(at(500))}`,
      `Refund-1@${encodePosition(at(800))}`,
    ])
    expect(calls.bcReads.at(-1)).toMatchObject({ resolveLinkTos: true })
    expect(calls.readAllFrom).toEqual([{ commit: 400n, prepare: 0n }])
  })

  it('gives each event with its own position, not its link’s', async () => {
    const { store: events } = store()

    const [first] = await (await events.readCorrelated('c1'))!.pages()[Symbol.asyncIterator]().next().then((page) => page.value as readonly RecordedEvent[])

    expect(first).toMatchObject({ streamId: 'Order-1', revision: 0n, position: encodePosition(at(100)), data: { n: 100 } })
    expect(first!.metadata).toEqual({ eventId: 'e-100', occurredAt: '2024-01-01T00:00:00.000Z', schemaVersion: 1, correlationId: 'c1' })
  })

  it('answers "no events" for an id the running projection has not linked', async () => {
    const { store: events } = store()

    await expect(collect(await events.readCorrelated('nope'))).resolves.toEqual([])
  })

  it.each([
    ['the projection is stopped', { status: async () => ({ projectionStatus: 'Stopped', lastCheckpoint: 'C:400/P:400' }) }],
    ['the projection is faulted', { status: async () => ({ projectionStatus: 'Faulted', lastCheckpoint: 'C:400/P:400' }) }],
    ['the projection has no checkpoint yet', { status: async () => ({ projectionStatus: 'Running', lastCheckpoint: '' }) }],
    [
      'its status cannot be read',
      {
        status: async () => {
          throw new Error('access denied')
        },
      },
    ],
    ['the server gives no positions on stream reads (before 22.6)', { serverVersion: '22.2.0.0' }],
  ])('is undefined, so that readers scan the log, when %s', async (_, server) => {
    const { store: events, calls } = store(server)

    expect(await events.readCorrelated('c1')).toBeUndefined()
    expect(calls.bcReads).toEqual([])
  })

  it('is undefined when the connection’s user may not read $bc- streams (a secure server’s default for system streams)', async () => {
    expect(await store({ linksDenied: true }).store.readCorrelated('c1')).toBeUndefined()
  })

  it('is undefined when the lookup is turned off', async () => {
    expect(await store({}, { correlationProjection: false }).store.readCorrelated('c1')).toBeUndefined()
  })
})
