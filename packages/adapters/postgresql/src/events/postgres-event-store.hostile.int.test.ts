import { afterAll, beforeAll } from '@jest/globals'
import { eventStoreHostileInput } from '@eventfold/core/testing'
import type pg from 'pg'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'
import { PostgresEventStore } from './postgres-event-store'

describePostgres('PostgresEventStore', () => {
  let pool: pg.Pool
  const schema = freshSchema('hostile')
  beforeAll(() => {
    pool = testPool()
  })
  afterAll(async () => {
    await dropSchema(pool, schema)
    await pool.end()
  })

  // One schema for the file: the suite tags every stream per test.
  eventStoreHostileInput('PostgresEventStore', async () => ({ store: new PostgresEventStore(pool, { schema }) }))
})
