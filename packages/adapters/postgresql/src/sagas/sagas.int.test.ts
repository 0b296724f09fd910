import { afterAll, beforeAll } from '@jest/globals'
import { sagaSuite } from '@eventfold/sagas/testing'
import type pg from 'pg'
import { PostgresDeadlineStore } from '../deadlines/postgres-deadline-store'
import { PostgresDocumentStore } from '../documents/postgres-document-store'
import { PostgresEventStore } from '../events/postgres-event-store'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'

describePostgres('PostgreSQL sagas', () => {
  let pool: pg.Pool
  const schema = freshSchema('sagas')

  beforeAll(() => {
    pool = testPool()
  })
  afterAll(async () => {
    await dropSchema(pool, schema)
    await pool.end()
  })

  sagaSuite('PostgreSQL', async () => {
    // The pool is the test's: closing the event store stops its listener and leaves the pool open.
    const eventStore = new PostgresEventStore(pool, { schema })
    return {
      documents: new PostgresDocumentStore(pool, { schema }),
      eventStore,
      deadlines: new PostgresDeadlineStore(pool, { schema }),
      teardown: () => eventStore.close(),
    }
  })
})
