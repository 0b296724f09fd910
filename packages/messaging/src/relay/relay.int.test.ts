import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { StoreClosedError, type EventStore } from '@eventfold/core'
import type { DocumentStore } from '@eventfold/projections'
import { PostgresDocumentStore, PostgresEventStore } from '@eventfold/postgresql'
import { openSqlite, SqliteDocumentStore, SqliteEventStore } from '@eventfold/sqlite'
import pg from 'pg'
// The PostgreSQL adapter's own test helpers: the server of `scripts/services`, a schema per test.
import { describePostgres, dropSchema, freshSchema, postgresUrl } from '../../../adapters/postgresql/src/testing/connect'
import { decodeEnvelope } from '../envelope/codec'
import { publish } from '../publishing/publication'
import { definePublications } from '../publishing/publications'
import { published } from '../test-support/published'
import { InMemoryTransport } from '../transport/in-memory-transport'
import type { Delivery } from '../transport/transport'
import { Relay, type RelayOptions } from './relay'

interface Stores {
  readonly eventStore: EventStore
  readonly documents: DocumentStore
  dispose(): Promise<void>
}

const publications = definePublications({
  source: 'orders',
  publications: [
    publish<{ n: number }>('OrderPlaced', { type: 'OrderPlaced.v1', topic: 'orders', map: (e) => ({ n: e.data.n }) }),
    publish('OrderShipped', { type: 'OrderShipped.v1', topic: 'orders', payload: 'reference' }),
  ],
})

const STREAMS = 24
const PER_STREAM = 15

/** Appends to every stream at once (so commits interleave), a third of the events of a type that is not published; returns the chosen count. */
const seed = async (eventStore: EventStore, offset = 0): Promise<number> => {
  await Promise.all(
    Array.from({ length: STREAMS }, async (_, s) => {
      for (let i = 0; i < PER_STREAM; i++) {
        const type = i % 3 === 0 ? 'OrderPlaced' : i % 3 === 1 ? 'OrderShipped' : 'OrderAudited'
        await eventStore.appendToStream(`Order-${offset}-${s}`, [{ type, data: { n: i, secret: 'internal' } }])
      }
    }),
  )
  return (STREAMS * PER_STREAM * 2) / 3
}


/** Each chosen event exactly `times` times, and per stream in revision order. */
const expectPublished = (deliveries: readonly Delivery[], chosen: number, times = 1): void => {
  const counts = new Map<string, number>()
  for (const d of deliveries) counts.set(d.id, (counts.get(d.id) ?? 0) + 1)
  expect(counts.size).toBe(chosen)
  expect([...counts.values()].every((n) => n === times)).toBe(true)
  const last = new Map<string, bigint>()
  for (const d of deliveries) {
    const e = decodeEnvelope(d)
    expect(e.type).not.toBe('OrderAudited')
    const before = last.get(e.streamId)
    // A republished batch starts over; otherwise revisions only grow.
    if (before !== undefined && times === 1) expect(e.revision).toBeGreaterThan(before)
    last.set(e.streamId, e.revision)
  }
}

const relaySuite = (open: () => Promise<Stores>): void => {
  let stores: Stores
  beforeEach(async () => {
    stores = await open()
  })
  afterEach(async () => {
    await stores.dispose()
  })

  const relay = (transport: InMemoryTransport, options: Partial<RelayOptions> = {}) =>
    new Relay({ eventStore: stores.eventStore, documents: stores.documents, transport, publications, name: 'orders', partitions: 3, batchSize: 50, leaseTtlMs: 2000, tickMs: 50, ...options })

  it('publishes every chosen event once, in per-stream order, while the log is written', async () => {
    const transport = new InMemoryTransport()
    const r = relay(transport)
    const running = r.run()
    const chosen = await seed(stores.eventStore)
    await published(transport, ['orders'], chosen)
    await r.stop()
    const progress = await running
    expectPublished(await published(transport, ['orders']), chosen)
    expect(progress.map((p) => p.partition)).toEqual(['0/3', '1/3', '2/3'])

    // Restarted, it goes on from its checkpoints.
    const again = relay(transport, { stopAtHead: true })
    const more = await seed(stores.eventStore, 1)
    await again.run()
    expectPublished(await published(transport, ['orders']), chosen + more)
  })

  it('publishes again, with the same ids, what a crash between publish and checkpoint left unrecorded', async () => {
    const transport = new InMemoryTransport()
    const chosen = await seed(stores.eventStore)
    const { documents } = stores
    const crashing = Object.create(documents) as DocumentStore
    crashing.commit = async (request) => {
      if (request.checkpoint) throw new StoreClosedError('the document store')
      return documents.commit(request)
    }
    await expect(relay(transport, { documents: crashing, stopAtHead: true, partitions: 1 }).run()).rejects.toBeInstanceOf(StoreClosedError)
    const first = (await published(transport, ['orders'])).map((d) => d.id)
    expect(first.length).toBeGreaterThan(0)

    await relay(transport, { stopAtHead: true, partitions: 1 }).run()
    const ids = (await published(transport, ['orders'])).map((d) => d.id)
    expect(ids.slice(first.length, 2 * first.length)).toEqual(first)
    expect(new Set(ids).size).toBe(chosen)
    expect(ids).toHaveLength(chosen + first.length)
  })

  it('lets two relay processes share the partitions without publishing an event twice', async () => {
    const transport = new InMemoryTransport()
    let shared!: () => void
    const sharing = new Promise<void>((resolve) => (shared = resolve))
    const onLease = () => {
      if (a.owned.length > 0 && b.owned.length > 0 && a.owned.length + b.owned.length === 3) shared()
    }
    const a: Relay = relay(transport, { owner: 'a', onLease })
    const b: Relay = relay(transport, { owner: 'b', onLease })
    const running = [a.run(), b.run()]
    await sharing
    const chosen = await seed(stores.eventStore)
    await published(transport, ['orders'], chosen)
    await Promise.all([a.stop(), b.stop()])
    const [pa, pb] = await Promise.all(running)
    expectPublished(await published(transport, ['orders']), chosen)
    expect(pa!.some((p) => p.published > 0) && pb!.some((p) => p.published > 0)).toBe(true)
  })
}

describe('the relay on a SQLite log', () => {
  relaySuite(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventfold-relay-'))
    const connection = openSqlite(join(dir, 'orders.db'))
    const eventStore = new SqliteEventStore(connection, { pollIntervalMs: 20 })
    const documents = new SqliteDocumentStore(connection)
    return {
      eventStore,
      documents,
      dispose: async () => {
        await connection.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  })
})

describePostgres('the relay on a PostgreSQL log', () => {
  relaySuite(async () => {
    const pool = new pg.Pool({ connectionString: postgresUrl(), max: 10 })
    const schema = freshSchema('relay')
    const eventStore = new PostgresEventStore(pool, { schema, pollIntervalMs: 50 })
    const documents = new PostgresDocumentStore(pool, { schema })
    await eventStore.headPosition()
    await documents.ready()
    return {
      eventStore,
      documents,
      dispose: async () => {
        await eventStore.close()
        await documents.close()
        await dropSchema(pool, schema)
        await pool.end()
      },
    }
  })
})
