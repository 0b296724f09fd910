import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventData, EventStore } from '@eventfold/core'
import { ProjectionStates, type DocumentStore } from '@eventfold/projections'
import { LEASE_COLLECTION } from '@eventfold/projections/spi'
import { connectSqlite } from '../config/sqlite'
import { CLI_INDEX, FIXTURE_APP, REPO_ROOT } from '../test-support/build'
import { databaseDigest, ensureConsoleBuilt, schemaDigest, startConsole, type RunningConsole } from '../test-support/console'
import { seedTallies } from '../test-support/fixture-app'
import { scanningTraceApp } from '../test-support/scanning-trace'
import { parseJson, runCli } from '../test-support/run-cli'

const SAMPLE = join(REPO_ROOT, 'samples/bank-account')
// The CLI does not depend on PostgreSQL: the sample, which does, lends its driver and stores.
const sampleRequire = createRequire(join(SAMPLE, 'package.json'))
const PG_INDEX = join(REPO_ROOT, 'packages/adapters/postgresql/dist/index.js')
const url = process.env.POSTGRES_URL || 'postgres://eventfold:eventfold@127.0.0.1:5432/eventfold'

/** Stores the test opens on one service's log (the order service's holds the read models too). */
interface Opened {
  readonly eventStore: EventStore
  readonly documents?: DocumentStore
  close(): Promise<void>
}

/** Two services' logs and a config naming both: the console's own store is the order service's. */
interface Backend {
  readonly name: string
  /** Environment of every CLI process. */
  readonly env: Record<string, string>
  config(): string
  open(service: 'order' | 'payment'): Promise<Opened>
  /** Every byte the order service's store holds, hashed. */
  digest(): Promise<string>
  teardown(): Promise<void>
}

// The fixture's `tallies` projection prefixes labels with LABEL_PREFIX: changing the variable changes the handler.
const PROJECTIONS = `
const app = require(${JSON.stringify(FIXTURE_APP)})
const container = { isBound: (c) => c === app.Tallies, get: () => new app.Tallies({ labelPrefix: process.env.LABEL_PREFIX ?? '' }) }
`

const sqlite = (dir: string): Backend => ({
  name: 'SQLite',
  env: {},
  config: () => `
const { defineConfig, connectSqlite } = require(${JSON.stringify(CLI_INDEX)})
${PROJECTIONS}
module.exports = defineConfig({
  connect: () => connectSqlite('order.db'),
  projections: app.projections,
  aggregates: app.aggregates,
  container,
  services: { order: { connect: () => connectSqlite('order.db') }, payment: { connect: () => connectSqlite('payment.db') } },
})
`,
  open: (service) => connectSqlite(join(dir, `${service}.db`)),
  digest: async () => databaseDigest(join(dir, 'order.db')),
  teardown: async () => {},
})

interface Pool {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
  end(): Promise<void>
}
type Connect = (options: { readOnly: boolean }) => Promise<Opened>

const postgres = (): Backend => {
  const suffix = randomBytes(5).toString('hex')
  const schemas = { order: `eventfold_console_order_${suffix}`, payment: `eventfold_console_payment_${suffix}` }
  const driver = sampleRequire('pg') as { Pool: new (config: object) => Pool }
  const admin = new driver.Pool({ connectionString: url, max: 1 })
  const env = { POSTGRES_URL: url, BANK_SCHEMA: schemas.order }
  return {
    name: 'PostgreSQL',
    env,
    // Each service owns its log: here a schema each, as separate databases would be.
    config: () => `
const { defineConfig } = require(${JSON.stringify(CLI_INDEX)})
const { connect } = require(${JSON.stringify(join(SAMPLE, 'dist/readme/postgresql.js'))})
const { PostgresEventStore } = require(${JSON.stringify(PG_INDEX)})
${PROJECTIONS}
const payment = {
  connect: async ({ readOnly }) => {
    const eventStore = new PostgresEventStore(process.env.POSTGRES_URL, { schema: ${JSON.stringify(schemas.payment)}, readOnly })
    return { eventStore, close: () => eventStore.close() }
  },
}
module.exports = defineConfig({ connect, projections: app.projections, aggregates: app.aggregates, container, services: { order: { connect }, payment } })
`,
    open: async (service) => {
      if (service === 'order') {
        const { connect } = sampleRequire('./dist/readme/postgresql.js') as { connect: Connect }
        const saved = { POSTGRES_URL: process.env.POSTGRES_URL, BANK_SCHEMA: process.env.BANK_SCHEMA }
        Object.assign(process.env, env)
        return connect({ readOnly: false }).finally(() => {
          for (const [key, value] of Object.entries(saved)) {
            if (value === undefined) delete process.env[key]
            else process.env[key] = value
          }
        })
      }
      const { PostgresEventStore } = sampleRequire(PG_INDEX) as { PostgresEventStore: new (url: string, options: object) => EventStore }
      const eventStore = new PostgresEventStore(url, { schema: schemas.payment })
      return { eventStore, close: () => eventStore.close() }
    },
    digest: () => schemaDigest(admin, schemas.order),
    teardown: async () => {
      for (const schema of Object.values(schemas)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await admin.end()
    },
  }
}

const at = (second: number): string => `2026-12-03T10:00:${String(second).padStart(2, '0')}.000Z`
const ev = (type: string, eventId: string, correlationId: string, causationId: string, second: number): EventData => ({
  type,
  data: { note: '<img src=x onerror=alert(1)>' },
  metadata: { eventId, correlationId, causationId, occurredAt: at(second) },
})

/** One order flow across the two logs, as command buses, relay and consumers would write it. */
const seedFlow = async (order: EventStore, payment: EventStore, flow: string): Promise<void> => {
  await order.appendToStream('Order-1', [ev('OrderPlaced', `${flow}-o1`, flow, `${flow}-cmd-place`, 1), ev('StockReserved', `${flow}-o2`, flow, `${flow}-o1`, 2)])
  await payment.appendToStream('Payment-1', [ev('PaymentRequested', `${flow}-p1`, flow, `${flow}-o1`, 3)])
}

describe.each([['SQLite'], ['PostgreSQL']])('eventfold serve on %s: trace and rebuild preview', (kind) => {
  const flow = `flow-${randomBytes(3).toString('hex')}`
  let dir: string
  let backend: Backend
  let server: RunningConsole

  const get = async (path: string): Promise<{ status: number; json: any }> => {
    const r = await fetch(server.url + path)
    return { status: r.status, json: await r.json() }
  }
  const post = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> => {
    const r = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' })
    return { status: r.status, json: await r.json() }
  }
  const withOrder = async <T>(work: (stores: Opened & { documents: DocumentStore }) => Promise<T>): Promise<T> => {
    const stores = await backend.open('order')
    try {
      return await work(stores as Opened & { documents: DocumentStore })
    } finally {
      await stores.close()
    }
  }

  /** The live read model: every document but the bookkeeping of rebuilds, checkpoints, and the projection's generations. */
  const live = () =>
    withOrder(async ({ documents }) => {
      const collections: Record<string, unknown> = {}
      for (const c of await documents.listCollections('')) {
        if (c !== LEASE_COLLECTION && c !== '_ef_projections') collections[c] = await documents.find(c, {}, { sort: { _id: 1 } })
      }
      const state = await new ProjectionStates(documents).get('tallies')
      return { collections, checkpoints: await documents.listCheckpoints(''), generation: state?.generation, rebuilding: state?.rebuilding }
    })

  beforeAll(async () => {
    ensureConsoleBuilt()
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'samples/bank-account', 'packages/adapters/postgresql'], { cwd: REPO_ROOT, stdio: 'pipe' })
    dir = mkdtempSync(join(tmpdir(), 'eventfold-serve-trace-'))
    backend = kind === 'SQLite' ? sqlite(dir) : postgres()
    writeFileSync(join(dir, 'eventfold.config.js'), backend.config())
    const payment = await backend.open('payment')
    try {
      await withOrder(async (order) => {
        await seedFlow(order.eventStore, payment.eventStore, flow)
        await seedTallies(order, { streams: 3, perStream: 3 })
      })
    } finally {
      await payment.close()
    }
    expect((await runCli(['projections', 'run', 'tallies', '--catch-up'], { cwd: dir, env: backend.env })).code).toBe(0)
    // Appended after the live run: the live read model has not seen it, a preview has.
    await withOrder((order) => seedTallies(order, { streams: 1, perStream: 2, prefix: 'late' }))
    server = await startConsole(dir, [], { ...backend.env, LABEL_PREFIX: 'v2: ' })
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    await backend?.teardown()
    rmSync(dir, { recursive: true, force: true })
  })

  it("answers a trace with what 'eventfold trace --json' prints, and the services whose events the console opens", async () => {
    const cli = await runCli(['trace', flow, '--json'], { cwd: dir, env: backend.env })
    expect(cli).toMatchObject({ code: 0, stderr: '' })
    const answer = await get(`api/trace/${encodeURIComponent(flow)}`)
    expect(answer).toEqual({ status: 200, json: { ...parseJson<object>(cli), consoleServices: ['order'] } })
    expect(answer.json).toMatchObject({
      events: 3,
      services: [
        { name: 'order', events: 2, lookup: 'index' },
        { name: 'payment', events: 1, lookup: 'index' },
      ],
      tree: [{ kind: 'command', id: `${flow}-cmd-place`, children: [{ kind: 'event', service: 'order', streamId: 'Order-1', revision: '0', type: 'OrderPlaced' }] }],
    })
  })

  it('refuses an empty or oversized correlation id (400), and answers an unknown one with 404 naming the services searched', async () => {
    expect(await get('api/trace/')).toEqual({ status: 400, json: { error: { type: 'console-request', message: 'a correlation id is never empty: \'\'' } } })
    expect(await get(`api/trace/${'x'.repeat(1025)}`)).toMatchObject({ status: 400, json: { error: { message: 'a correlation id is at most 1024 bytes (this one has 1025): \'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…\'' } } })
    expect(await get('api/trace/no-such-flow')).toEqual({
      status: 404,
      json: { error: { type: 'console-request', message: "no event has correlation id 'no-such-flow' in the logs of services 'order', 'payment'" } },
    })
  })

  it('refuses a preview without the token or with a wrong one (401), and the store does not change', async () => {
    const before = await backend.digest()
    for (const headers of [{}, { authorization: `Bearer ${server.token}x` }, { authorization: server.token }] as Record<string, string>[]) {
      expect(await post('api/projections/tallies/preview', headers)).toMatchObject({ status: 401, json: { error: { type: 'console-request' } } })
    }
    expect(await backend.digest()).toBe(before)
  })

  it('answers 409 naming the owner while another process holds the rebuild lease, and changes nothing', async () => {
    const key = 'rebuild/tallies'
    const revision = await withOrder(async ({ documents }) => {
      const current = (await documents.getMany(LEASE_COLLECTION, [key])).get(key)?.meta.revision ?? 0
      const doc = { _id: key, owner: 'rebuilder-host:4242:abcd', expiresAt: Date.now() + 600_000 }
      await documents.commit({ writes: [{ kind: 'put', collection: LEASE_COLLECTION, doc, meta: { revision: current + 1, positions: {} }, expectedRevision: current }] })
      return current + 1
    })
    try {
      const before = await live()
      const answer = await post('api/projections/tallies/preview', { authorization: `Bearer ${server.token}` })
      expect(answer).toMatchObject({ status: 409, json: { error: { type: 'console-request', message: expect.stringContaining("is already running in 'rebuilder-host:4242:abcd'") } } })
      expect(await live()).toEqual(before)
    } finally {
      await withOrder(({ documents }) =>
        documents.commit({
          writes: [{ kind: 'put', collection: LEASE_COLLECTION, doc: { _id: key, owner: 'rebuilder-host:4242:abcd', expiresAt: 0 }, meta: { revision: revision + 1, positions: {} }, expectedRevision: revision }],
        }),
      )
    }
  })

  it('previews a rebuild with the token: exactly the differing documents, the preview generation dropped, the live read model unchanged', async () => {
    const before = await live()
    const answer = await post('api/projections/tallies/preview', { authorization: `Bearer ${server.token}` })
    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject({ completed: true, projection: 'tallies', liveGeneration: 1, previewGeneration: 2, kept: false, unchanged: 0 })
    expect(answer.json.added).toEqual({ count: 1, sample: [{ collection: 'tallies', id: 'Tally-late0' }] })
    expect(answer.json.removed).toEqual({ count: 0, sample: [] })
    expect(answer.json.changed).toEqual({
      count: 3,
      sample: ['t0', 't1', 't2'].map((t) => ({ collection: 'tallies', id: `Tally-${t}`, fields: [{ path: 'label', old: `label ${t}`, new: `v2: label ${t}` }], fieldCount: 1 })),
    })
    expect(await live()).toEqual(before)
    expect(before).toMatchObject({ generation: 1, rebuilding: undefined })
  })

  it('refuses a bad sample or an unknown field (400), and the store does not change', async () => {
    const before = await backend.digest()
    const send = async (body: string) => {
      const r = await fetch(server.url + 'api/projections/tallies/preview', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body })
      return { status: r.status, json: await r.json() }
    }
    expect(await send('{"sample": -1}')).toEqual({ status: 400, json: { error: { type: 'console-request', message: 'sample must be a whole number from 0 to 10000' } } })
    expect(await send('{"keep": true}')).toEqual({ status: 400, json: { error: { type: 'console-request', message: "unknown field 'keep' (known: sample)" } } })
    expect(await backend.digest()).toBe(before)
  })

  it('previews a projection that never ran: every document is added, there is no live generation to compare with', async () => {
    const answer = await post('api/projections/event-counts/preview', { authorization: `Bearer ${server.token}` })
    expect(answer).toMatchObject({ status: 200, json: { completed: true, projection: 'event-counts', kept: false, removed: { count: 0 }, changed: { count: 0 }, unchanged: 0 } })
    expect(answer.json).not.toHaveProperty('liveGeneration')
    expect(answer.json.added).toEqual({
      count: 2,
      sample: [
        { collection: 'event_counts', id: 'TallyIncremented' },
        { collection: 'event_counts', id: 'TallyOpened' },
      ],
    })
  })
})

describe('eventfold serve: a trace that scans a log without a correlation index', () => {
  const flow = `scan-${randomBytes(3).toString('hex')}`
  let dir: string
  let server: RunningConsole

  beforeAll(async () => {
    ensureConsoleBuilt()
    dir = await scanningTraceApp(flow)
    server = await startConsole(dir)
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const get = async (path: string): Promise<{ status: number; json: any }> => {
    const r = await fetch(server.url + path)
    return { status: r.status, json: await r.json() }
  }

  it('shows how far the scan is while it runs, answers other requests meanwhile, and finds the events it scanned for', async () => {
    const { head, endOfFirstPage } = await (async () => {
      const archive = await connectSqlite(join(dir, 'archive.db'))
      try {
        const positions: bigint[] = []
        for await (const e of archive.eventStore.readAll()) positions.push(e.position)
        return { head: positions.at(-1)!, endOfFirstPage: positions[499]! }
      } finally {
        await archive.close()
      }
    })()
    const tracing = get(`api/trace/${flow}`)
    let progress = await get(`api/trace/${flow}/progress`)
    while (progress.json.scans.length === 0) progress = await get(`api/trace/${flow}/progress`)
    // The scan waits at its second page: what it reported after the first is what the console shows.
    expect(progress).toEqual({
      status: 200,
      json: {
        correlationId: flow,
        running: 1,
        scans: [{ service: 'archive', position: String(endOfFirstPage), head: String(head), percent: Number((endOfFirstPage * 1000n) / head) / 10 }],
      },
    })
    expect(await get('api/streams')).toMatchObject({ status: 200, json: { total: 1 } })

    writeFileSync(join(dir, 'go'), '')
    const trace = await tracing
    expect(trace).toMatchObject({
      status: 200,
      json: {
        events: 5,
        services: [
          { name: 'order', events: 3, lookup: 'index' },
          { name: 'archive', events: 2, lookup: 'scan' },
        ],
        consoleServices: ['order'],
      },
    })
    expect(await get(`api/trace/${flow}/progress`)).toEqual({ status: 200, json: { correlationId: flow, running: 0, scans: [] } })
  })
})
