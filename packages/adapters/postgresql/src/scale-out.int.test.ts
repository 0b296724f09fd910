import { join } from 'node:path'
import { buildPackages } from '@eventfold/core/testing'
import { scaleOutSuite } from '@eventfold/projections/testing'
import pg from 'pg'
import { PostgresDocumentStore } from './documents/postgres-document-store'
import { PostgresEventStore } from './events/postgres-event-store'
import { describePostgres, dropSchema, freshSchema, postgresUrl } from './testing/connect'

const PACKAGE_DIR = join(__dirname, '..')

/** Builds the package (and what it depends on) so the child processes run the current code. */
const buildPackage = (): void => buildPackages(PACKAGE_DIR)

// The worker processes share one schema with the test; the rebuild gets a schema of its own.
scaleOutSuite({
  name: 'PostgreSQL',
  workerScript: join(__dirname, 'testing', 'scale-out-worker.js'),
  build: buildPackage,
  describe: describePostgres,
  seedConcurrency: 4,
  open: async () => {
    // The workers inherit the environment: the URL reaches them there, not on their command line.
    process.env.POSTGRES_URL = postgresUrl()
    const schema = freshSchema('scaleout')
    const rebuildSchema = freshSchema('scaleout_rebuild')
    const pool = new pg.Pool({ connectionString: postgresUrl(), max: 10 })
    const eventStore = new PostgresEventStore(pool, { schema, pollIntervalMs: 50 })
    const documents = new PostgresDocumentStore(pool, { schema })
    // Tables first, so that the workers do not all race to create them.
    await eventStore.headPosition()
    await documents.ready()
    return {
      eventStore,
      documents,
      workerArgs: [schema],
      openRebuildStore: async () => new PostgresDocumentStore(pool, { schema: rebuildSchema }),
      dispose: async () => {
        await eventStore.close()
        await documents.close()
        await dropSchema(pool, schema)
        await dropSchema(pool, rebuildSchema)
        await pool.end()
      },
    }
  },
})
