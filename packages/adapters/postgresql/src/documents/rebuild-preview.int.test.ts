import { afterAll, beforeAll } from '@jest/globals'
import type pg from 'pg'
import { rebuildPreviewSuite } from '@eventfold/projections/testing'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'
import { PostgresDocumentStore } from './postgres-document-store'

describePostgres('PostgreSQL document store', () => {
  let pool: pg.Pool
  const schema = freshSchema('preview')

  beforeAll(() => {
    pool = testPool()
  })

  afterAll(async () => {
    await dropSchema(pool, schema)
    await pool.end()
  })

  rebuildPreviewSuite('PostgreSQL', { documents: () => new PostgresDocumentStore(pool, { schema }) })
})
