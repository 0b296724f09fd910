import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import type { RecordedEvent } from '@eventfold/core'
import type { DocumentWrite } from '@eventfold/projections/spi'
import pg from 'pg'
import { PostgresDocumentStore } from '../documents/postgres-document-store'
import { PostgresEventStore } from '../events/postgres-event-store'
import { describePostgres, dropSchema, freshSchema, postgresUrl, testPool } from '../testing/connect'
import { quoteIdent } from './identifiers'
import type { PostgresSource } from './pool'
import { PostgresReadOnlyError, PostgresSchemaMissingError } from './schema-errors'

const collect = async (read: AsyncIterable<RecordedEvent>): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = []
  for await (const e of read) events.push(e)
  return events
}

const put = (collection: string, id: string, n: number, expectedRevision = 0): DocumentWrite => ({
  kind: 'put',
  collection,
  doc: { _id: id, n },
  meta: { revision: expectedRevision + 1, positions: {} },
  expectedRevision,
})

describePostgres('PostgreSQL stores opened read-only', () => {
  let pool: pg.Pool
  let schema: string
  beforeAll(() => {
    pool = testPool(4)
  })
  beforeEach(() => {
    schema = freshSchema('readonly')
  })
  afterEach(async () => {
    jest.restoreAllMocks()
    await dropSchema(pool, schema)
  })
  afterAll(async () => {
    await pool.end()
  })

  /** The schema and its tables as the catalog lists them. */
  const catalog = async (): Promise<{ schemata: number; tables: string[] }> => {
    const { rows: schemata } = await pool.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])
    const { rows: tables } = await pool.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [schema])
    return { schemata: schemata.length, tables: tables.map((t) => t.tablename) }
  }

  /** Every row the stores keep, to compare before and after a refused write. */
  const contents = async (): Promise<unknown> => {
    const q = quoteIdent(schema)
    const read = async (sql: string): Promise<unknown[]> => (await pool.query(sql)).rows
    return {
      events: await read(`SELECT position, stream_id, revision, type, data FROM ${q}.eventfold_events ORDER BY position`),
      documents: await read(`SELECT collection, id, doc, revision FROM ${q}.eventfold_documents ORDER BY collection, id`),
      checkpoints: await read(`SELECT name, position FROM ${q}.eventfold_checkpoints ORDER BY name`),
      indexes: await read(`SELECT indexname FROM pg_indexes WHERE schemaname = '${schema}' ORDER BY indexname`),
    }
  }

  /** A log and read models written by writable stores, then closed. */
  const seed = async (): Promise<void> => {
    const events = new PostgresEventStore(pool, { schema, notifications: false })
    const documents = new PostgresDocumentStore(pool, { schema })
    await events.appendToStream('Account-1', [{ type: 'Opened', data: { owner: 'Ann' } }, { type: 'Deposited', data: { amount: 5 } }])
    await events.appendToStream('Account-2', [{ type: 'Opened', data: { owner: 'Bob' } }])
    await documents.commit({ writes: [put('balances', 'a', 5), put('balances', 'b', 0)], checkpoint: { name: 'balances', position: 7n } })
    await events.close()
    await documents.close()
  }

  describe('on a schema that does not exist', () => {
    it('fails naming the schema and creates nothing, for the event store', async () => {
      const events = new PostgresEventStore(pool, { schema, notifications: false, readOnly: true })
      await expect(collect(events.readAll())).rejects.toMatchObject({ type: 'postgres-schema-missing', schema, module: 'eventfold.events' })
      await expect(collect(events.readStream('Account-1'))).rejects.toBeInstanceOf(PostgresSchemaMissingError)
      await expect(events.streamRevision('Account-1')).rejects.toBeInstanceOf(PostgresSchemaMissingError)
      await expect(events.headPosition()).rejects.toBeInstanceOf(PostgresSchemaMissingError)
      await expect(events.ready()).rejects.toThrow(`PostgreSQL schema '${schema}' has no 'eventfold.events' tables`)
      await events.close()
      expect(await catalog()).toEqual({ schemata: 0, tables: [] })
    })

    it('fails naming the schema and creates nothing, for the document store', async () => {
      const documents = new PostgresDocumentStore(pool, { schema, readOnly: true })
      await expect(documents.get('balances', 'a')).rejects.toMatchObject({ type: 'postgres-schema-missing', schema, module: 'eventfold.documents' })
      await expect(documents.find('balances')).rejects.toBeInstanceOf(PostgresSchemaMissingError)
      await expect(documents.listCollections()).rejects.toBeInstanceOf(PostgresSchemaMissingError)
      await expect(documents.readCheckpoint('balances')).rejects.toBeInstanceOf(PostgresSchemaMissingError)
      await documents.close()
      expect(await catalog()).toEqual({ schemata: 0, tables: [] })
    })

    it('fails on a schema that exists without the tables, and creates none', async () => {
      await pool.query(`CREATE SCHEMA ${quoteIdent(schema)}`)
      const events = new PostgresEventStore(pool, { schema, notifications: false, readOnly: true })
      const documents = new PostgresDocumentStore(pool, { schema, readOnly: true })
      await expect(events.ready()).rejects.toMatchObject({ type: 'postgres-schema-missing', schema, found: undefined })
      await expect(documents.ready()).rejects.toMatchObject({ type: 'postgres-schema-missing', schema, found: undefined })
      await Promise.all([events.close(), documents.close()])
      expect(await catalog()).toEqual({ schemata: 1, tables: [] })
    })
  })

  it('fails when the log holds only the event tables and the document store is asked for its own', async () => {
    await seed()
    await pool.query(`DELETE FROM ${quoteIdent(schema)}.eventfold_schema WHERE module = 'eventfold.documents'`)
    const documents = new PostgresDocumentStore(pool, { schema, readOnly: true })
    await expect(documents.ready()).rejects.toMatchObject({ type: 'postgres-schema-missing', schema, module: 'eventfold.documents' })
    await documents.close()
  })

  it('fails when the tables are at another migration version than the code expects', async () => {
    await seed()
    await pool.query(`UPDATE ${quoteIdent(schema)}.eventfold_schema SET version = version + 1 WHERE module = 'eventfold.events'`)
    const events = new PostgresEventStore(pool, { schema, notifications: false, readOnly: true })
    await expect(events.ready()).rejects.toMatchObject({ type: 'postgres-schema-missing', schema, expected: 1, found: 2 })
    await events.close()
  })

  it('reads an existing log and its read models on sessions that refuse every write', async () => {
    await seed()
    // As a standby or a role without write rights would: DDL fails there.
    const readOnlyPool = new pg.Pool({ connectionString: postgresUrl(), max: 2, options: '-c default_transaction_read_only=on' })
    const events = new PostgresEventStore(readOnlyPool, { schema, notifications: false, readOnly: true })
    const documents = new PostgresDocumentStore(readOnlyPool, { schema, readOnly: true })
    expect((await collect(events.readAll())).map((e) => [e.streamId, e.revision, e.type])).toEqual([
      ['Account-1', 0n, 'Opened'],
      ['Account-1', 1n, 'Deposited'],
      ['Account-2', 0n, 'Opened'],
    ])
    expect((await collect(events.readStream('Account-1', { direction: 'backwards' }))).map((e) => e.type)).toEqual(['Deposited', 'Opened'])
    expect(await events.streamRevision('Account-1')).toBe(1n)
    expect(await events.headPosition()).toBe((await collect(events.readAll({ direction: 'backwards', maxCount: 1 })))[0]!.position)
    expect(await documents.get('balances', 'a')).toEqual({ _id: 'a', n: 5 })
    expect(await documents.find('balances', { n: 0 })).toEqual([{ _id: 'b', n: 0 }])
    expect(await documents.listCollections()).toEqual(['balances'])
    expect(await documents.readCheckpoint('balances')).toBe(7n)
    await Promise.all([events.close(), documents.close()])
    await readOnlyPool.end()
  })

  it.each([
    ['a connection string', (): PostgresSource => postgresUrl(), '0'],
    ['a pool config with options of its own', (): PostgresSource => ({ connectionString: postgresUrl(), options: '-c statement_timeout=4321' }), '4321ms'],
  ])('opens read-only sessions on the pool it opens from %s', async (_, source, statementTimeout) => {
    await seed()
    const events = new PostgresEventStore(source(), { schema, notifications: false, readOnly: true })
    const documents = new PostgresDocumentStore(source(), { schema, readOnly: true })
    expect(await events.streamRevision('Account-1')).toBe(1n)
    expect(await documents.get('balances', 'a')).toEqual({ _id: 'a', n: 5 })
    // The pools are the stores' own: asked directly what their sessions are.
    for (const store of [events, documents]) {
      const own = (store as unknown as { pool: pg.Pool }).pool
      expect((await own.query('SHOW transaction_read_only')).rows).toEqual([{ transaction_read_only: 'on' }])
      expect((await own.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: statementTimeout }])
      await expect(own.query(`CREATE TABLE ${quoteIdent(schema)}.intruder (x int)`)).rejects.toMatchObject({ code: '25006' })
    }
    await Promise.all([events.close(), documents.close()])
    expect((await catalog()).tables).not.toContain('intruder')
  })

  it('refuses every write with a typed error before sending anything, and changes nothing', async () => {
    await seed()
    const events = new PostgresEventStore(pool, { schema, notifications: false, readOnly: true })
    const documents = new PostgresDocumentStore(pool, { schema, readOnly: true })
    const before = await contents()
    const sent = [jest.spyOn(pool, 'query'), jest.spyOn(pool, 'connect')]
    const refused = (store: string, operation: string): object => ({ type: 'postgres-read-only', store, schema, operation })
    await expect(events.appendToStream('Account-1', [{ type: 'Withdrawn', data: { amount: 1 } }])).rejects.toMatchObject(
      refused('PostgresEventStore', 'appendToStream'),
    )
    await expect(documents.commit({ writes: [put('balances', 'c', 1)] })).rejects.toMatchObject(refused('PostgresDocumentStore', 'commit'))
    await expect(documents.commit({ writes: [], checkpoint: { name: 'balances', position: 9n } })).rejects.toBeInstanceOf(PostgresReadOnlyError)
    await expect(documents.deleteCheckpoints(['balances'])).rejects.toMatchObject(refused('PostgresDocumentStore', 'deleteCheckpoints'))
    await expect(documents.ensureIndexes([{ collection: 'balances', keys: { n: 1 }, unique: true }])).rejects.toMatchObject(
      refused('PostgresDocumentStore', 'ensureIndexes'),
    )
    await expect(documents.dropCollection('balances')).rejects.toMatchObject(refused('PostgresDocumentStore', 'dropCollection'))
    for (const spy of sent) expect(spy).not.toHaveBeenCalled()
    jest.restoreAllMocks()
    expect(await contents()).toEqual(before)
    await Promise.all([events.close(), documents.close()])
  })
})
