import { join } from 'node:path'
import { buildPackages } from '@eventfold/core/testing'
import { deadlineWorkerSuite } from '@eventfold/sagas/testing'
import { countDeadlineEffects } from '@eventfold/sagas/testing/deadline-worker-process'
import pg from 'pg'
import { PostgresEventStore } from '../events/postgres-event-store'
import { describePostgres, dropSchema, freshSchema, postgresUrl } from '../testing/connect'
import { PostgresDeadlineStore } from './postgres-deadline-store'

const PACKAGE_DIR = join(__dirname, '..', '..')

/** Builds the package (and what it depends on) so the child processes run the current code. */
const buildPackage = (): void => buildPackages(PACKAGE_DIR)

// The worker processes share one schema with the test.
deadlineWorkerSuite({
  name: 'PostgreSQL',
  workerScript: join(__dirname, '..', 'testing', 'deadline-worker.js'),
  build: buildPackage,
  describe: describePostgres,
  open: async () => {
    // The workers inherit the environment: the URL reaches them there, not on their command line.
    process.env.POSTGRES_URL = postgresUrl()
    const schema = freshSchema('deadlines')
    const pool = new pg.Pool({ connectionString: postgresUrl(), max: 4 })
    const eventStore = new PostgresEventStore(pool, { schema })
    const deadlines = new PostgresDeadlineStore(pool, { schema })
    await deadlines.ready()
    return {
      deadlines,
      effects: (scope) => countDeadlineEffects(eventStore, scope),
      workerArgs: [schema],
      dispose: async () => {
        await eventStore.close()
        await dropSchema(pool, schema)
        await pool.end()
      },
    }
  },
})
