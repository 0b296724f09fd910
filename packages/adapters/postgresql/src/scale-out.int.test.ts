import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { scaleOutSuite } from '@eventfold/projections/testing'
import pg from 'pg'
import { PostgresDocumentStore } from './documents/postgres-document-store'
import { PostgresEventStore } from './events/postgres-event-store'
import { describePostgres, dropSchema, freshSchema, postgresUrl } from './testing/connect'

const PACKAGE_DIR = join(__dirname, '..')
const REPO_ROOT = join(PACKAGE_DIR, '..', '..', '..')

/**
 * Builds the package (and core, projections) so the worker processes run the
 * current code: `tsc -b` is incremental, so this costs about a second when
 * nothing changed.
 */
const buildPackage = (): void => {
  try {
    execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-b', PACKAGE_DIR], { cwd: REPO_ROOT, stdio: 'pipe' })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer }
    throw new Error(`tsc -b ${PACKAGE_DIR} failed:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`)
  }
}

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
