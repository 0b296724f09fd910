import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventStore } from '@eventfold/core'
import { CLI_INDEX, FIXTURE_APP, REPO_ROOT } from '../test-support/build'
import { ensureConsoleBuilt, schemaDigest, startConsole, type RunningConsole } from '../test-support/console'

const SAMPLE = join(REPO_ROOT, 'samples/bank-account')
// The CLI does not depend on PostgreSQL: the sample, which does, lends its driver and stores.
const sampleRequire = createRequire(join(SAMPLE, 'package.json'))
const url = process.env.POSTGRES_URL || 'postgres://eventfold:eventfold@127.0.0.1:5432/eventfold'

interface Pool {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
  end(): Promise<void>
}
type Connect = (options: { readOnly: boolean }) => Promise<{ eventStore: EventStore; close(): Promise<void> }>

describe('eventfold serve on a PostgreSQL config (the README connect)', () => {
  const schema = `eventfold_serve_${randomBytes(5).toString('hex')}`
  let dir: string
  let admin: Pool
  let server: RunningConsole

  /** Every row of every table of the schema, hashed. */
  const digest = (): Promise<string> => schemaDigest(admin, schema)

  beforeAll(async () => {
    ensureConsoleBuilt()
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'samples/bank-account'], { cwd: REPO_ROOT, stdio: 'pipe' })
    dir = mkdtempSync(join(tmpdir(), 'eventfold-serve-pg-'))
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
    const { connect } = sampleRequire('./dist/readme/postgresql.js') as { connect: Connect }
    const saved = { POSTGRES_URL: process.env.POSTGRES_URL, BANK_SCHEMA: process.env.BANK_SCHEMA }
    Object.assign(process.env, { POSTGRES_URL: url, BANK_SCHEMA: schema })
    const stores = await connect({ readOnly: false }).finally(() => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    })
    try {
      await stores.eventStore.appendToStream('Tally-t0', [
        { type: 'TallyOpened', data: { tallyId: 't0', label: 'x' } },
        { type: 'TallyIncremented', data: { tallyId: 't0', by: 2 } },
      ])
    } finally {
      await stores.close()
    }
    server = await startConsole(dir, [], { POSTGRES_URL: url, BANK_SCHEMA: schema })
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await admin?.end()
    rmSync(dir, { recursive: true, force: true })
  })

  const get = async (path: string): Promise<unknown> => (await fetch(server.url + path)).json()
  const post = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(server.url + path, { method: 'POST', headers })

  it('reads streams, events and projections, and writes nothing', async () => {
    const before = await digest()
    expect(await get('api/streams')).toMatchObject({ total: 1, streams: [{ streamId: 'Tally-t0', lastRevision: '1', events: 2 }] })
    expect(await get('api/streams/Tally-t0/events/1')).toMatchObject({ event: { type: 'TallyIncremented', data: { by: 2 } } })
    // As `projections status`: read-only, the read models no worker has created yet read as new, and their tables are not created.
    expect(await get('api/projections')).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'tallies', state: 'new', active: null })]))
    expect(await digest()).toBe(before)
  })

  it('refuses actions without the token (401) and the schema does not change; with it, rebuilds', async () => {
    const before = await digest()
    for (const path of ['api/projections/tallies/rebuild', 'api/projections/tallies/reset']) {
      expect((await post(path)).status).toBe(401)
      expect((await post(path, { authorization: 'Bearer nope' })).status).toBe(401)
    }
    expect(await digest()).toBe(before)

    expect((await post('api/projections/tallies/rebuild', { authorization: `Bearer ${server.token}` })).status).toBe(202)
    type Status = { name: string; state: string; live: { state: string } | null }
    const tallies = async (): Promise<Status> => ((await get('api/projections')) as Status[]).find((p) => p.name === 'tallies')!
    let status = await tallies()
    while (status.live?.state === 'running') status = await tallies()
    expect(status).toMatchObject({ state: 'caught-up', live: { state: 'done' } })
  })
})
