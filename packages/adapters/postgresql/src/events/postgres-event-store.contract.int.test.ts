import { afterAll, beforeAll } from '@jest/globals'
import { eventStoreContract } from '@eventfold/core/testing'
import type pg from 'pg'
import { describePostgres, dropSchema, freshSchema, postgresUrl, testPool } from '../testing/connect'
import { PostgresEventStore } from './postgres-event-store'

describePostgres('PostgresEventStore', () => {
  let pool: pg.Pool
  const shared = freshSchema('shared')
  beforeAll(() => {
    pool = testPool()
  })
  afterAll(async () => {
    await dropSchema(pool, shared)
    await pool.end()
  })

  // A schema per test: each starts with an empty log.
  eventStoreContract('PostgresEventStore on a borrowed pool, a schema per test', async () => {
    const schema = freshSchema('contract')
    return { store: new PostgresEventStore(pool, { schema }), teardown: () => dropSchema(pool, schema) }
  })

  // One log for every test, as in production; a pool per store, 7-row pages so
  // that reads and catch-ups cross many page boundaries, and no NOTIFY, so
  // subscribers are served by polling alone.
  eventStoreContract(
    'PostgresEventStore on a shared log, with its own pool, 7-row pages and polling only',
    async () => ({
      store: new PostgresEventStore(
        { connectionString: postgresUrl(), max: 4 },
        { schema: shared, pageSize: 7, notifications: false, pollIntervalMs: 20 },
      ),
    }),
    { isolated: false },
  )
})
