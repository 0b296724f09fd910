import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { deadlineWorkerSuite } from '@eventfold/sagas/testing'
import { countDeadlineEffects } from '@eventfold/sagas/testing/deadline-worker-process'
import pg from 'pg'
import { PostgresEventStore } from '../events/postgres-event-store'
import { describePostgres, dropSchema, freshSchema, postgresUrl } from '../testing/connect'
import { PostgresDeadlineStore } from './postgres-deadline-store'

const PACKAGE_DIR = join(__dirname, '..', '..')
const REPO_ROOT = join(PACKAGE_DIR, '..', '..', '..')

/** Builds the package (and what it depends on) so the worker processes run the current code. */
const buildPackage = (): void => {
  try {
    execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-b', PACKAGE_DIR], { cwd: REPO_ROOT, stdio: 'pipe' })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer }
    throw new Error(`tsc -b ${PACKAGE_DIR} failed:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`)
  }
}

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
