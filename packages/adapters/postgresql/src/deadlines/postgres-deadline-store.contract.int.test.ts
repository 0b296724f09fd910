import { afterAll, beforeAll } from '@jest/globals'
import { deadlineStoreContract } from '@eventfold/sagas/testing'
import type pg from 'pg'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'
import { PostgresDeadlineStore } from './postgres-deadline-store'

describePostgres('PostgresDeadlineStore', () => {
  let pool: pg.Pool
  const schema = freshSchema('deadlines')

  beforeAll(() => {
    pool = testPool()
  })
  afterAll(async () => {
    await dropSchema(pool, schema)
    await pool.end()
  })

  deadlineStoreContract('PostgresDeadlineStore', async () => ({ store: new PostgresDeadlineStore(pool, { schema }) }))
})
