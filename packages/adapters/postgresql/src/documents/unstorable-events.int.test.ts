import { afterAll, beforeAll } from '@jest/globals'
import pg from 'pg'
import { unstorableEventSuite } from '@eventfold/projections/testing'
import { PrivateServer } from '../test-support/private-server'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'
import { PostgresDocumentStore } from './postgres-document-store'

describePostgres('PostgreSQL document store', () => {
  let pool: pg.Pool
  const schema = freshSchema('unstorable')

  beforeAll(() => {
    pool = testPool()
  })

  afterAll(async () => {
    await dropSchema(pool, schema)
    await pool.end()
  })

  unstorableEventSuite('PostgreSQL', {
    documents: () => new PostgresDocumentStore(pool, { schema }),
    // A nested key starting with '$': an event may carry it, a document may not. (NUL, which jsonb
    // cannot hold, no longer gets this far: every event store refuses it at the append.)
    unstorable: { $theme: 'dark' },
    // A server of the test's own, stopped and started again, so that the shared one never stops.
    outage: async () => {
      const server = await PrivateServer.start()
      const own = new pg.Pool({ connectionString: server.url, max: 4, connectionTimeoutMillis: 500 })
      // A connection the server cut while idle must not crash the test process.
      own.on('error', () => {})
      return {
        documents: new PostgresDocumentStore(own, { schema }),
        cut: () => server.halt(),
        restore: () => server.resume(),
        close: async () => {
          await own.end()
          await server.remove()
        },
      }
    },
    timeoutMs: 60_000,
  })
})
