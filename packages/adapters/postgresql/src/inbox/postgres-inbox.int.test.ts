import { afterAll, beforeAll } from '@jest/globals'
import { inboxContract } from '@eventfold/messaging/testing'
import type pg from 'pg'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'
import { postgresInbox } from './postgres-inbox'

describePostgres('postgresInbox', () => {
  let pool: pg.Pool
  const schemas: string[] = []

  beforeAll(() => {
    pool = testPool()
  })

  afterAll(async () => {
    for (const schema of schemas) await dropSchema(pool, schema)
    await pool.end()
  })

  inboxContract('PostgreSQL', { appends: true, transactions: true }, async () => {
    const schema = freshSchema('inbox')
    schemas.push(schema)
    const inbox = postgresInbox(pool, { schema })
    return { inbox, teardown: () => inbox.close() }
  })
})
