import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { describe, it } from '@jest/globals'
import { redactUrl } from '@eventfold/core/spi'
import pg from 'pg'
import { quoteIdent } from '../pg/identifiers'

/** The server `scripts/services start postgres` runs, used when POSTGRES_URL is not set. */
export const DEFAULT_POSTGRES_URL = 'postgres://eventfold:eventfold@127.0.0.1:5432/eventfold'

/** The server the integration tests use: `POSTGRES_URL`, or the one `scripts/services` manages. */
export const postgresUrl = (): string => process.env.POSTGRES_URL || DEFAULT_POSTGRES_URL

let probed: { readonly problem: string | undefined } | undefined

/**
 * Why the server cannot be used, or `undefined` when it answers a query.
 * jest registers tests synchronously, so the probe (connect, `SELECT 1`)
 * runs in a child process, once per test file.
 */
const probe = (url: string): string | undefined => {
  if (probed) return probed.problem
  const script = `
    const pg = require(${JSON.stringify(require.resolve('pg'))})
    const client = new pg.Client({ connectionString: process.env.EVENTFOLD_PROBE_URL, connectionTimeoutMillis: 3000 })
    client.connect().then(() => client.query('SELECT 1')).then(() => client.end()).then(
      () => process.exit(0),
      (error) => { process.stderr.write(String((error && error.message) || error)); process.exit(1) })`
  // The URL goes by environment: a command line is visible to every user in /proc/<pid>/cmdline.
  const result = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { ...process.env, EVENTFOLD_PROBE_URL: url },
  })
  const problem = result.status === 0 ? undefined : result.stderr.trim() || result.error?.message || `probe exited with ${result.status}`
  probed = { problem }
  return problem
}

/** What to do with the PostgreSQL tests: run them, or fail them because the server is not there. */
export type PostgresTestPolicy = 'run' | 'fail'

/**
 * The connection policy: run when the server answers, fail otherwise — in CI
 * and everywhere else. A database test never skips.
 */
export const postgresTestPolicy = (problem: string | undefined): PostgresTestPolicy => (problem === undefined ? 'run' : 'fail')

/** Why the tests cannot run, and how to make them run. */
export const unreachableMessage = (url: string, problem: string): string =>
  `PostgreSQL is not reachable at POSTGRES_URL=${redactUrl(url)} (${problem}). ` +
  'Start it with `scripts/services start postgres` (then `eval "$(scripts/services env)"`), or point POSTGRES_URL at a server.'

/**
 * `describe` for tests that need the PostgreSQL server at POSTGRES_URL; see
 * {@link postgresTestPolicy}.
 */
export const describePostgres = (name: string, body: () => void): void => {
  const url = postgresUrl()
  const problem = probe(url)
  if (postgresTestPolicy(problem) === 'run') {
    describe(name, body)
    return
  }
  const message = unreachableMessage(url, problem!)
  describe(name, () => {
    it('needs a reachable PostgreSQL server', () => {
      throw new Error(message)
    })
  })
}

/** A pool on the test server; `max` connections. */
export const testPool = (max = 10): pg.Pool => new pg.Pool({ connectionString: postgresUrl(), max })

/** A schema name no other test uses: every test file and test can have its own tables. */
export const freshSchema = (label = 'test'): string => `eventfold_${label}_${randomBytes(5).toString('hex')}`

/** Drops a test schema and everything in it. */
export const dropSchema = async (pool: pg.Pool, schema: string): Promise<void> => {
  await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`)
}
