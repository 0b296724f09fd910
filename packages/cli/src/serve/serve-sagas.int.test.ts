import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DocumentStore } from '@eventfold/projections'
import type { DeadlineStore } from '@eventfold/sagas'
import { CLI_INDEX, FIXTURE_APP, REPO_ROOT } from '../test-support/build'
import { databaseDigest, ensureConsoleBuilt, schemaDigest, startConsole, type RunningConsole } from '../test-support/console'
import { createFixtureApp, type FixtureApp } from '../test-support/fixture-app'
import { runCli } from '../test-support/run-cli'
import { seedSagas, type SeededSagas } from '../test-support/sagas'

interface SagasAnswer {
  offset: number
  limit: number
  sagas: { id: string; saga: string; status: string }[]
  next: number | null
  stored: boolean
}

const getJson = async <T>(url: string): Promise<{ status: number; json: T }> => {
  const response = await fetch(url)
  return { status: response.status, json: (await response.json()) as T }
}

/** The checks both stores pass: the routes answer what `eventfold sagas` prints, and write nothing. */
const sagaRouteChecks = (setup: () => { server: () => RunningConsole; seeded: () => SeededSagas; dir: () => string; env: () => Record<string, string>; digest: () => Promise<string> }) => {
  const { server, seeded, dir, env, digest } = setup()
  const cli = async (args: string[]): Promise<unknown> => {
    const result = await runCli(args, { cwd: dir(), env: env() })
    expect(result).toMatchObject({ code: 0 })
    return JSON.parse(result.stdout)
  }

  it('lists the instances as `eventfold sagas list` does, by saga, state, association and flow', async () => {
    const before = await digest()
    const all = await getJson<SagasAnswer>(`${server().url}api/sagas`)
    expect(all.status).toBe(200)
    expect(all.json).toMatchObject({ offset: 0, limit: 50, next: null, stored: true })
    expect(all.json.sagas).toEqual(await cli(['sagas', 'list', '--json']))
    expect(all.json.sagas).toHaveLength(5)
    const active = (await getJson<SagasAnswer>(`${server().url}api/sagas?saga=console-ticket&state=active`)).json
    expect(active.sagas).toEqual(await cli(['sagas', 'list', '--saga', 'console-ticket', '--state', 'active', '--json']))
    expect(active.sagas.map((s) => s.id).sort()).toEqual([seeded().hostile, seeded().open].sort())
    const byAssociation = (await getJson<SagasAnswer>(`${server().url}api/sagas?association=${encodeURIComponent('ticketId=t3')}`)).json
    expect(byAssociation.sagas.map((s) => [s.id, s.status])).toEqual([[seeded().closed, 'ended']])
    const byFlow = (await getJson<SagasAnswer>(`${server().url}api/sagas?correlationId=flow-t3`)).json
    expect(byFlow.sagas).toEqual(await cli(['sagas', 'list', '--correlation-id', 'flow-t3', '--json']))
    expect(byFlow.sagas.map((s) => s.id)).toEqual([seeded().closed])
    expect((await cli(['sagas', 'list', '--association', 'ticketId=t3', '--json'])) as unknown[]).toEqual(byAssociation.sagas)
    const none = (await getJson<SagasAnswer>(`${server().url}api/sagas?saga=nope`)).json
    expect(none).toMatchObject({ sagas: [], stored: true, next: null })
    expect(await digest()).toBe(before)
  })

  it('pages through the instances with offset and limit, each once', async () => {
    const all = (await getJson<SagasAnswer>(`${server().url}api/sagas`)).json.sagas.map((s) => s.id)
    const seen: string[] = []
    for (let offset: number | null = 0; offset !== null; ) {
      const page: SagasAnswer = (await getJson<SagasAnswer>(`${server().url}api/sagas?limit=2&offset=${offset}`)).json
      seen.push(...page.sagas.map((s) => s.id))
      offset = page.next
    }
    expect(seen).toEqual(all)
  })

  it('shows one instance as `eventfold sagas show` does, with its pending deadlines', async () => {
    const before = await digest()
    const shown = await getJson<Record<string, unknown>>(`${server().url}api/sagas/${seeded().hostile}`)
    expect(shown.status).toBe(200)
    const { deadlinesConfigured, ...rest } = shown.json
    expect(rest).toEqual(await cli(['sagas', 'show', seeded().hostile, '--json']))
    expect(deadlinesConfigured).toBe(true)
    expect(shown.json).toMatchObject({
      saga: 'console-ticket',
      status: 'active',
      associations: ['ticketId=t1'],
      history: [expect.objectContaining({ messageId: 'm1', correlationId: 'flow-t1' })],
      state: { ticketId: 't1', subject: expect.stringContaining('<script>') },
      deadlines: expect.arrayContaining([expect.objectContaining({ name: 'reply', dueAt: '2026-01-01T00:00:00.000Z' }), expect.objectContaining({ name: 'escalate' })]),
    })
    expect((await getJson<{ deadlines: unknown[] }>(`${server().url}api/sagas/${seeded().closed}`)).json.deadlines).toEqual([])
    expect(await digest()).toBe(before)
  })

  it.each([
    ['api/sagas?state=sleeping', 'state must be active or ended'],
    ['api/sagas?limit=0', 'limit: Expected a whole number from 1 to 1000.'],
    ['api/sagas?offset=-1', 'offset: Expected a whole number'],
    ['api/sagas/nope', "no saga instance with id 'nope'"],
  ])('answers GET /%s with 400 and a clear message', async (path, message) => {
    const answer = await getJson<{ error: { message: string } }>(server().url + path)
    expect(answer.status).toBe(400)
    expect(answer.json.error.message).toContain(message)
  })

  it('offers no action on sagas: a POST is refused and nothing changes, with the token or without', async () => {
    const before = await digest()
    for (const headers of [{}, { authorization: `Bearer ${server().token}` }] as Record<string, string>[]) {
      const answer = await fetch(`${server().url}api/sagas/${seeded().hostile}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' })
      expect([401, 405]).toContain(answer.status)
    }
    expect(await digest()).toBe(before)
  })
}

describe('eventfold serve: sagas on SQLite', () => {
  let app: FixtureApp
  let server: RunningConsole
  let seeded: SeededSagas

  beforeAll(async () => {
    ensureConsoleBuilt()
    app = createFixtureApp()
    seeded = await app.withStores(({ documents, deadlines }) => seedSagas(documents, deadlines!))
    server = await startConsole(app.dir)
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    app?.remove()
  })

  sagaRouteChecks(() => ({ server: () => server, seeded: () => seeded, dir: () => app.dir, env: () => ({}), digest: async () => databaseDigest(app.db) }))
})

describe('eventfold serve: sagas on a file that holds none', () => {
  let app: FixtureApp
  let server: RunningConsole

  beforeAll(async () => {
    ensureConsoleBuilt()
    app = createFixtureApp()
    await app.withStores(({ eventStore }) => eventStore.appendToStream('Tally-t0', [{ type: 'TallyOpened', data: {} }]).then(() => undefined))
    server = await startConsole(app.dir)
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    app?.remove()
  })

  it('says there are no instances stored, and writes nothing', async () => {
    const before = databaseDigest(app.db)
    expect((await getJson<SagasAnswer>(`${server.url}api/sagas`)).json).toEqual({ offset: 0, limit: 50, sagas: [], next: null, stored: false })
    expect((await getJson<SagasAnswer>(`${server.url}api/sagas?state=active`)).json).toMatchObject({ sagas: [], stored: false })
    expect(databaseDigest(app.db)).toBe(before)
  })
})

// The CLI does not depend on PostgreSQL: the bank sample, which does, lends its driver and stores.
const SAMPLE = join(REPO_ROOT, 'samples/bank-account')
const sampleRequire = createRequire(join(SAMPLE, 'package.json'))
const url = process.env.POSTGRES_URL || 'postgres://eventfold:eventfold@127.0.0.1:5432/eventfold'

interface Pool {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
  end(): Promise<void>
}
interface PostgresAdapter {
  PostgresEventStore: new (url: string, options: object) => { close(): Promise<void> }
  PostgresDocumentStore: new (url: string, options: object) => DocumentStore
  PostgresDeadlineStore: new (url: string, options: object) => DeadlineStore & { close(): Promise<void> }
}

describe('eventfold serve: sagas on PostgreSQL', () => {
  const schema = `eventfold_sagas_${randomBytes(5).toString('hex')}`
  let dir: string
  let admin: Pool
  let server: RunningConsole
  let seeded: SeededSagas

  /** Every row of every table of the schema, hashed. */
  const digest = (): Promise<string> => schemaDigest(admin, schema)

  beforeAll(async () => {
    ensureConsoleBuilt()
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'samples/bank-account'], { cwd: REPO_ROOT, stdio: 'pipe' })
    dir = mkdtempSync(join(tmpdir(), 'eventfold-serve-sagas-pg-'))
    writeFileSync(
      join(dir, 'eventfold.config.js'),
      `const { defineConfig } = require(${JSON.stringify(CLI_INDEX)})
const { PostgresDeadlineStore, PostgresDocumentStore, PostgresEventStore } = require('node:module').createRequire(${JSON.stringify(join(SAMPLE, 'package.json'))})('@eventfold/postgresql')
const app = require(${JSON.stringify(FIXTURE_APP)})
const connect = async ({ readOnly }) => {
  const options = { schema: ${JSON.stringify(schema)}, readOnly }
  const eventStore = new PostgresEventStore(process.env.POSTGRES_URL, options)
  const documents = new PostgresDocumentStore(process.env.POSTGRES_URL, options)
  const deadlines = new PostgresDeadlineStore(process.env.POSTGRES_URL, options)
  return { eventStore, documents, deadlines, close: async () => { await eventStore.close(); await documents.close(); await deadlines.close() } }
}
module.exports = defineConfig({ connect, projections: app.projections, aggregates: app.aggregates })
`,
    )
    const driver = sampleRequire('pg') as { Pool: new (config: object) => Pool }
    admin = new driver.Pool({ connectionString: url, max: 1 })
    const pg = sampleRequire('@eventfold/postgresql') as PostgresAdapter
    const documents = new pg.PostgresDocumentStore(url, { schema })
    const deadlines = new pg.PostgresDeadlineStore(url, { schema })
    try {
      seeded = await seedSagas(documents, deadlines)
    } finally {
      await documents.close()
      await deadlines.close()
    }
    server = await startConsole(dir, [], { POSTGRES_URL: url })
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await admin?.end()
    rmSync(dir, { recursive: true, force: true })
  })

  sagaRouteChecks(() => ({ server: () => server, seeded: () => seeded, dir: () => dir, env: () => ({ POSTGRES_URL: url }), digest }))
})
