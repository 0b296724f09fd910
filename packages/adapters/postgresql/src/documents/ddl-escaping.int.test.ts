import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import pg from 'pg'
import { describePostgres, dropSchema, freshSchema, postgresUrl } from '../testing/connect'
import { PostgresDocumentStore } from './postgres-document-store'

describePostgres('PostgresDocumentStore index DDL on connections with standard_conforming_strings off', () => {
  let pool: pg.Pool
  const schema = freshSchema('ddl')
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: postgresUrl(), max: 2 })
    // The setting that makes a backslash escape a quote in '…' literals.
    pool.on('connect', (client) => void client.query('SET standard_conforming_strings = off'))
  })
  afterAll(async () => {
    await dropSchema(pool, schema)
    await pool.end()
  })

  const tableExists = async (name: string): Promise<boolean> =>
    (await pool.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [schema, name])).rowCount === 1

  describe.each([
    ['a collection name', (sql: string) => ({ collection: `c\\'; ${sql}; --`, keys: { email: 1 as const } })],
    ['a key path', (sql: string) => ({ collection: 'users', keys: { [`e\\']::text[]); ${sql}; --`]: 1 as const } })],
  ])('with a backslash and a quote in %s', (_label, spec) => {
    it('creates the index it was asked for and runs nothing else', async () => {
      const store = new PostgresDocumentStore(pool, { schema })
      const table = `pwned_${Math.random().toString(36).slice(2, 8)}`
      const index = { ...spec(`CREATE TABLE "${schema}".${table} ()`), unique: true }
      try {
        await store.ensureIndexes([index]).catch(() => undefined)
        expect(await tableExists(table)).toBe(false)
        await store.ensureIndexes([index])
        const key = Object.keys(index.keys)[0]!
        const put = (id: string) => ({ kind: 'put' as const, collection: index.collection, doc: { _id: id, [key]: 'same' }, meta: { revision: 1, positions: {} }, expectedRevision: 0 })
        await store.commit({ writes: [put('a')] })
        await expect(store.commit({ writes: [put('b')] })).rejects.toMatchObject({ type: 'duplicate-document' })
      } finally {
        await store.close()
      }
    })
  })
})
