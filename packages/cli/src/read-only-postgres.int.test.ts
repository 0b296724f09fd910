import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventStore } from '@eventfold/core'
import { CLI_INDEX, ensureBuilt, FIXTURE_APP, REPO_ROOT } from './test-support/build'
import { parseJson, runCli } from './test-support/run-cli'

/** The PostgreSQL `connect` of the README, as the bank sample builds it. */
const SAMPLE = join(REPO_ROOT, 'samples/bank-account')
// The CLI does not depend on PostgreSQL: the sample, which does, lends its driver and stores.
const sampleRequire = createRequire(join(SAMPLE, 'package.json'))

const READ_COMMANDS: readonly (readonly string[])[] = [
  ['streams', 'list'],
  ['streams', 'read', 'Tally-t0'],
  ['replay', 'Tally-t0'],
  ['projections', 'status'],
  ['dlq', 'list'],
]

const url = process.env.POSTGRES_URL || 'postgres://eventfold:eventfold@127.0.0.1:5432/eventfold'

/** What this test uses of a `pg.Pool` and of the sample's `connect`. */
interface Pool {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>
  end(): Promise<void>
}
type Connect = (options: { readOnly: boolean }) => Promise<{ eventStore: EventStore; close(): Promise<void> }>

describe('read commands on a PostgreSQL config that passes readOnly on', () => {
  let dir: string
  let admin: Pool
  let schema: string
  const run = (args: readonly string[]) => runCli(args, { cwd: dir, env: { POSTGRES_URL: url, BANK_SCHEMA: schema } })

  beforeAll(() => {
    ensureBuilt()
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'samples/bank-account'], { cwd: REPO_ROOT, stdio: 'pipe' })
    dir = mkdtempSync(join(tmpdir(), 'eventfold-cli-pg-'))
    writeFileSync(
      join(dir, 'eventfold.config.js'),
      `const { defineConfig } = require(${JSON.stringify(CLI_INDEX)})
const { connect } = require(${JSON.stringify(join(SAMPLE, 'dist/readme/postgresql.js'))})
const app = require(${JSON.stringify(FIXTURE_APP)})
module.exports = defineConfig({ connect, projections: app.projections, aggregates: app.aggregates })
`,
    )
    const driver = sampleRequire('pg') as { Pool: new (config: object) => Pool }
    admin = new driver.Pool({ connectionString: url, max: 1 })
  }, 60000)
  beforeEach(() => {
    schema = `eventfold_cli_${randomBytes(5).toString('hex')}`
  })
  afterEach(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  })
  afterAll(async () => {
    await admin.end()
    rmSync(dir, { recursive: true, force: true })
  })

  const schemaExists = async (): Promise<boolean> =>
    (await admin.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).rows.length > 0

  it.each(READ_COMMANDS)('%s %s on a schema that does not exist fails naming it, and creates nothing', async (...args) => {
    const r = await run(args)
    expect(r).toMatchObject({ code: 1, stdout: '' })
    expect(r.stderr).toMatch(new RegExp(`^eventfold: error: PostgreSQL schema '${schema}' has no 'eventfold\\.(events|documents)' tables, and a read-only store cannot create them\\n$`))
    expect(await schemaExists()).toBe(false)
  })

  /** Appends one event through the sample's `connect`, which creates only the event tables. */
  const appendOne = async (): Promise<void> => {
    const { connect } = sampleRequire('./dist/readme/postgresql.js') as { connect: Connect }
    // The sample's connect reads its settings from the environment, as a config file does.
    const saved = { POSTGRES_URL: process.env.POSTGRES_URL, BANK_SCHEMA: process.env.BANK_SCHEMA }
    Object.assign(process.env, { POSTGRES_URL: url, BANK_SCHEMA: schema })
    const stores = await connect({ readOnly: false }).finally(() => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    })
    try {
      await stores.eventStore.appendToStream('Tally-t0', [{ type: 'TallyOpened', data: { tallyId: 't0', label: 'x' } }])
    } finally {
      await stores.close()
    }
  }

  it('reads a log the application wrote', async () => {
    await appendOne()
    const r = await run(['streams', 'list', '--json'])
    expect(r.code).toBe(0)
    expect(parseJson<{ streamId: string }[]>(r).map((s) => s.streamId)).toEqual(['Tally-t0'])
  })

  it('a log whose projections never ran reads as having no read models and no dead letters', async () => {
    await appendOne()
    const documentTables = async () => (await admin.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, 'eventfold_documents'])).rows
    expect(await documentTables()).toEqual([])

    expect(await run(['dlq', 'list'])).toMatchObject({ code: 0, stdout: 'no dead letters\n', stderr: '' })
    const status = await run(['projections', 'status', 'tallies', '--json'])
    expect(status).toMatchObject({ code: 0, stderr: '' })
    expect(parseJson<{ state: string }[]>(status)[0]!.state).toBe('new')
    expect(await documentTables()).toEqual([])
  })
})
