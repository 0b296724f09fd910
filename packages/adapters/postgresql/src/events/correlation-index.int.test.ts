import { afterAll, beforeAll, beforeEach, afterEach, expect, it } from '@jest/globals'
import type { EventRead } from '@eventfold/core'
import type pg from 'pg'
import { quoteIdent } from '../pg/identifiers'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'
import { CORRELATION_INDEX, CORRELATION_SCHEMA } from './event-schema'
import { PostgresEventStore } from './postgres-event-store'

const ids = async (read: EventRead | undefined): Promise<string[]> => {
  const out: string[] = []
  for await (const e of read!) out.push(`${e.streamId}@${e.revision}`)
  return out
}

describePostgres('PostgresEventStore.readCorrelated', () => {
  let pool: pg.Pool
  let schema: string
  beforeAll(() => {
    pool = testPool(2)
  })
  afterAll(() => pool.end())
  beforeEach(() => {
    schema = freshSchema('correlation')
  })
  afterEach(() => dropSchema(pool, schema))

  const seed = async (store: PostgresEventStore): Promise<void> => {
    await store.appendToStream('Order-1', [{ type: 'Placed', data: {}, metadata: { correlationId: 'c1' } }])
    await store.appendToStream('Order-2', [{ type: 'Placed', data: {}, metadata: { correlationId: 'c2' } }])
    await store.appendToStream('Payment-1', [{ type: 'Paid', data: {} }])
    await store.appendToStream('Payment-1', [{ type: 'Settled', data: {}, metadata: { correlationId: 'c1', causationId: 'x' } }])
  }

  it('returns the events of one correlation id in log order, with an index scan', async () => {
    const store = new PostgresEventStore(pool, { schema, pageSize: 1 })
    try {
      await seed(store)
      expect(await ids(await store.readCorrelated('c1'))).toEqual(['Order-1@0', 'Payment-1@1'])
      expect(await ids(await store.readCorrelated('nope'))).toEqual([])
    } finally {
      await store.close()
    }
    const client = await pool.connect()
    try {
      // A table this small is scanned whatever the indexes: forbid that, to see the plan the index allows.
      await client.query('SET enable_seqscan = off')
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT position FROM ${quoteIdent(schema)}.eventfold_events WHERE (metadata ->> 'correlationId') = 'c1' AND position > -1 ORDER BY position LIMIT 500`,
      )
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain(CORRELATION_INDEX)
    } finally {
      await client.query('RESET enable_seqscan')
      client.release()
    }
  })

  it('on a schema written before the index, a read-only store answers undefined and creates nothing; a store that may write adds it', async () => {
    const writer = new PostgresEventStore(pool, { schema })
    await seed(writer)
    await writer.close()
    // What older code left: no index, no record of its module.
    await pool.query(`DROP INDEX ${quoteIdent(schema)}.${CORRELATION_INDEX}`)
    await pool.query(`DELETE FROM ${quoteIdent(schema)}.eventfold_schema WHERE module = $1`, [CORRELATION_SCHEMA.name])

    const reader = new PostgresEventStore(pool, { schema, readOnly: true })
    try {
      expect(await reader.readCorrelated('c1')).toBeUndefined()
    } finally {
      await reader.close()
    }
    const indexOf = async () => (await pool.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [`${quoteIdent(schema)}.${CORRELATION_INDEX}`])).rows[0]!.r
    expect(await indexOf()).toBeNull()

    const again = new PostgresEventStore(pool, { schema })
    try {
      expect(await ids(await again.readCorrelated('c1'))).toEqual(['Order-1@0', 'Payment-1@1'])
    } finally {
      await again.close()
    }
    expect(await indexOf()).not.toBeNull()
  })
  const indexPresent = async (): Promise<boolean> =>
    (await pool.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [`${quoteIdent(schema)}.${CORRELATION_INDEX}`])).rows[0]!.r !== null

  it('correlationIndex: false drops the index, so lookups answer undefined; true again rebuilds it over the stored events', async () => {
    const fresh = new PostgresEventStore(pool, { schema, correlationIndex: false })
    try {
      await seed(fresh)
      expect(await fresh.readCorrelated('c1')).toBeUndefined()
    } finally {
      await fresh.close()
    }
    expect(await indexPresent()).toBe(false)

    const indexing = new PostgresEventStore(pool, { schema })
    try {
      expect(await ids(await indexing.readCorrelated('c1'))).toEqual(['Order-1@0', 'Payment-1@1'])
    } finally {
      await indexing.close()
    }
    expect(await indexPresent()).toBe(true)

    const dropping = new PostgresEventStore(pool, { schema, correlationIndex: false })
    await dropping.ready()
    await dropping.close()
    expect(await indexPresent()).toBe(false)
    const stores = [1, 2].map(() => new PostgresEventStore(pool, { schema }))
    try {
      // Both find it missing and create it at once.
      await Promise.all(stores.map((s) => s.ready()))
      await stores[0]!.appendToStream('Order-3', [{ type: 'Placed', data: {}, metadata: { correlationId: 'c1' } }])
      expect(await ids(await stores[1]!.readCorrelated('c1'))).toEqual(['Order-1@0', 'Payment-1@1', 'Order-3@0'])
    } finally {
      await Promise.all(stores.map((s) => s.close()))
    }
    expect(await indexPresent()).toBe(true)
  })

  it('correlationIndex: false on a read-only store changes nothing', async () => {
    const writer = new PostgresEventStore(pool, { schema })
    await seed(writer)
    await writer.close()
    const reader = new PostgresEventStore(pool, { schema, readOnly: true, correlationIndex: false })
    try {
      expect(await ids(await reader.readCorrelated('c1'))).toEqual(['Order-1@0', 'Payment-1@1'])
    } finally {
      await reader.close()
    }
    expect(await indexPresent()).toBe(true)
  })
  it('refuses a correlationIndex that is not a boolean', () => {
    expect(() => new PostgresEventStore(pool, { schema, correlationIndex: 'no' as unknown as boolean })).toThrow(/correlationIndex must be true or false, got no/)
  })
})
