import { afterAll, beforeAll } from '@jest/globals'
import { documentStoreHostileInput } from '@eventfold/projections/testing'
import type pg from 'pg'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'
import { PostgresDocumentStore } from './postgres-document-store'

describePostgres('PostgresDocumentStore', () => {
  let pool: pg.Pool
  const schema = freshSchema('hostile')
  beforeAll(() => {
    pool = testPool()
  })
  afterAll(async () => {
    await dropSchema(pool, schema)
    await pool.end()
  })

  documentStoreHostileInput('PostgresDocumentStore on a borrowed pool', async () => ({ store: new PostgresDocumentStore(pool, { schema }) }))
})
