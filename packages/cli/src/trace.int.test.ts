import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { EventData, EventStore } from '@eventfold/core'
import { CLI_INDEX, REPO_ROOT, ensureBuilt } from './test-support/build'
import { parseJson, runCli, runCliOnTty, type CliResult } from './test-support/run-cli'

const hasScript = spawnSync('script', ['--version']).status === 0
const PG_INDEX = join(REPO_ROOT, 'packages/adapters/postgresql/dist/index.js')
const SQLITE_INDEX = join(REPO_ROOT, 'packages/adapters/sqlite/dist/index.js')
const url = process.env.POSTGRES_URL || 'postgres://eventfold:eventfold@127.0.0.1:5432/eventfold'

/** The JSON of a trace node, as `eventfold trace --json` prints it. */
interface NodeJson {
  kind: 'event' | 'command'
  id?: string
  service?: string
  streamId?: string
  revision?: string
  type?: string
  eventId?: string
  children: NodeJson[]
}

/** The tree as nested labels: `service:type` for an event, `command:<id>` for a command. */
const shape = (nodes: readonly NodeJson[]): unknown[] =>
  nodes.map((n) => {
    const label = n.kind === 'command' ? `command:${n.id}` : `${n.service}:${n.type}`
    return n.children.length === 0 ? label : { [label]: shape(n.children) }
  })

const at = (second: number): string => `2026-12-03T10:00:${String(second).padStart(2, '0')}.000Z`
const ev = (type: string, eventId: string, correlationId: string, causationId: string, second: number): EventData => ({
  type,
  data: {},
  metadata: { eventId, correlationId, causationId, occurredAt: at(second) },
})

/**
 * One order flow across two services, as their command buses, relay and
 * consumers would write it: the order service places the order (command
 * cmd-place), the payment service reacts to OrderPlaced, captures the
 * payment (its own command), and the order service reacts to PaymentCaptured.
 * Another flow's events sit in both logs.
 */
const seedFlow = async (order: EventStore, payment: EventStore, flow: string, other: string): Promise<void> => {
  await order.appendToStream('Order-1', [ev('OrderPlaced', `${flow}-o1`, flow, `${flow}-cmd-place`, 1), ev('StockReserved', `${flow}-o2`, flow, `${flow}-o1`, 2)])
  await order.appendToStream('Order-2', [ev('OrderPlaced', `${other}-o1`, other, `${other}-cmd`, 1)])
  await payment.appendToStream('Payment-1', [ev('PaymentRequested', `${flow}-p1`, flow, `${flow}-o1`, 3)])
  await payment.appendToStream('Payment-2', [ev('PaymentRequested', `${other}-p1`, other, `${other}-o1`, 3)])
  await payment.appendToStream('Payment-1', [ev('PaymentCaptured', `${flow}-p2`, flow, `${flow}-cmd-capture`, 4)])
  await order.appendToStream('Order-1', [ev('OrderPaid', `${flow}-o3`, flow, `${flow}-p2`, 5)])
}

const expectedTree = (flow: string): unknown[] => [
  { [`command:${flow}-cmd-place`]: [{ 'order:OrderPlaced': ['order:StockReserved', 'payment:PaymentRequested'] }] },
  { [`command:${flow}-cmd-capture`]: [{ 'payment:PaymentCaptured': ['order:OrderPaid'] }] },
]

/** Two services' logs and a config naming both. */
interface Backend {
  readonly name: string
  setup(dir: string): Promise<{ order: EventStore; payment: EventStore; close(): Promise<void> }>
  config(dir: string): string
  teardown(): Promise<void>
}

type Adapter = { SqliteEventStore: { open(path: string, options?: object): EventStore }; PostgresEventStore: new (url: string, options: object) => EventStore }

const sqlite = (): Backend => ({
  name: 'SQLite',
  setup: async (dir) => {
    const { SqliteEventStore } = require(SQLITE_INDEX) as Adapter
    const order = SqliteEventStore.open(join(dir, 'order.db'))
    const payment = SqliteEventStore.open(join(dir, 'payment.db'))
    return { order, payment, close: async () => void (await Promise.all([order.close(), payment.close()])) }
  },
  config: () => `
const { defineConfig, connectSqlite } = require(${JSON.stringify(CLI_INDEX)})
module.exports = defineConfig({
  connect: () => connectSqlite('order.db'),
  projections: [],
  services: { order: { connect: () => connectSqlite('order.db') }, payment: { connect: () => connectSqlite('payment.db') } },
})
`,
  teardown: async () => {},
})

const postgres = (): Backend => {
  const suffix = randomBytes(5).toString('hex')
  const schemas = { order: `eventfold_trace_order_${suffix}`, payment: `eventfold_trace_payment_${suffix}` }
  return {
    name: 'PostgreSQL',
    setup: async () => {
      const { PostgresEventStore } = require(PG_INDEX) as Adapter
      const order = new PostgresEventStore(url, { schema: schemas.order })
      const payment = new PostgresEventStore(url, { schema: schemas.payment })
      return { order, payment, close: async () => void (await Promise.all([order.close(), payment.close()])) }
    },
    // Each service owns its log: here a schema each, as separate databases would be.
    config: () => `
const { defineConfig } = require(${JSON.stringify(CLI_INDEX)})
const { PostgresEventStore } = require(${JSON.stringify(PG_INDEX)})
const service = (schema) => ({
  connect: async ({ readOnly }) => {
    const eventStore = new PostgresEventStore(process.env.POSTGRES_URL, { schema, readOnly })
    return { eventStore, close: () => eventStore.close() }
  },
})
module.exports = defineConfig({
  connect: async () => { throw new Error('not used by eventfold trace') },
  projections: [],
  services: { order: service(${JSON.stringify(schemas.order)}), payment: service(${JSON.stringify(schemas.payment)}) },
})
`,
    teardown: async () => {
      const { Pool } = require(join(REPO_ROOT, 'node_modules/pg')) as { Pool: new (c: object) => { query(q: string): Promise<unknown>; end(): Promise<void> } }
      const pool = new Pool({ connectionString: url, max: 1 })
      for (const schema of Object.values(schemas)) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await pool.end()
    },
  }
}

describe.each([sqlite, postgres])('eventfold trace across two services (%p)', (backendOf) => {
  const backend = backendOf()
  let dir: string
  const flow = `order-flow-${randomBytes(3).toString('hex')}`
  const run = (args: readonly string[]): Promise<CliResult> => runCli(['trace', ...args], { cwd: dir, env: { POSTGRES_URL: url } })

  beforeAll(async () => {
    ensureBuilt()
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/adapters/postgresql', 'packages/adapters/sqlite'], { cwd: REPO_ROOT, stdio: 'pipe' })
    dir = mkdtempSync(join(tmpdir(), 'eventfold-trace-'))
    writeFileSync(join(dir, 'eventfold.config.js'), backend.config(dir))
    const stores = await backend.setup(dir)
    try {
      await seedFlow(stores.order, stores.payment, flow, `${flow}-other`)
    } finally {
      await stores.close()
    }
  }, 60_000)
  afterAll(async () => {
    await backend.teardown()
    rmSync(dir, { recursive: true, force: true })
  })

  it(`${backend.name}: prints one tree spanning both logs, each event under its cause, as JSON`, async () => {
    const r = await run([flow, '--json'])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    const trace = parseJson<{ correlationId: string; events: number; services: unknown[]; tree: NodeJson[] }>(r)
    expect(trace).toMatchObject({
      correlationId: flow,
      events: 5,
      services: [
        { name: 'order', events: 3, lookup: 'index' },
        { name: 'payment', events: 2, lookup: 'index' },
      ],
    })
    expect(shape(trace.tree)).toEqual(expectedTree(flow))
    expect(trace.tree[0]!.children[0]).toMatchObject({ service: 'order', streamId: 'Order-1', revision: '0', eventId: `${flow}-o1`, occurredAt: at(1) })
  })

  it(`${backend.name}: draws the tree for a person, with service, stream, revision, position and time`, async () => {
    const r = await run([flow])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    const lines = r.stdout.split('\n')
    expect(lines[0]).toBe(`trace '${flow}': 5 event(s) in 2 service(s) (order, payment)`)
    expect(lines.slice(2, 10)).toEqual([
      `command ${flow}-cmd-place`,
      expect.stringMatching(new RegExp(`^└─ OrderPlaced  \\[order\\]  Order-1@0  position \\d+  ${at(1)}$`)),
      expect.stringMatching(new RegExp(`^   ├─ StockReserved  \\[order\\]  Order-1@1  position \\d+  ${at(2)}$`)),
      expect.stringMatching(new RegExp(`^   └─ PaymentRequested  \\[payment\\]  Payment-1@0  position \\d+  ${at(3)}$`)),
      `command ${flow}-cmd-capture`,
      expect.stringMatching(new RegExp(`^└─ PaymentCaptured  \\[payment\\]  Payment-1@1  position \\d+  ${at(4)}$`)),
      expect.stringMatching(new RegExp(`^   └─ OrderPaid  \\[order\\]  Order-1@2  position \\d+  ${at(5)}$`)),
      '',
    ])
  })

  it(`${backend.name}: an unknown correlation id exits 1 naming it and the services searched`, async () => {
    const r = await run(['no-such-flow', '--json'])
    expect(r).toMatchObject({ code: 1, stdout: '' })
    expect(r.stderr).toBe(`eventfold: error: no event has correlation id 'no-such-flow' in the logs of services 'order', 'payment'\n`)
  })
})

describe('eventfold trace on SQLite files', () => {
  let dir: string
  const flow = 'flow-1'
  const db = (name: string) => join(dir, name)

  beforeAll(async () => {
    ensureBuilt()
    dir = mkdtempSync(join(tmpdir(), 'eventfold-trace-'))
    writeFileSync(join(dir, 'eventfold.config.js'), sqlite().config(dir))
    const stores = await sqlite().setup(dir)
    try {
      await seedFlow(stores.order, stores.payment, flow, 'flow-2')
    } finally {
      await stores.close()
    }
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it.each([
    [[], /missing required argument 'correlation-id'/],
    [[''], /the correlation id must not be empty/],
    [['flow-1', '--depth', '2'], /unknown option '--depth'/],
  ])('bad arguments %j exit 2', async (args, message) => {
    const r = await runCli(['trace', ...args], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('a config without services traces the log of connect, as the service default', async () => {
    const single = mkdtempSync(join(tmpdir(), 'eventfold-trace-'))
    try {
      writeFileSync(
        join(single, 'eventfold.config.js'),
        `const { defineConfig, connectSqlite } = require(${JSON.stringify(CLI_INDEX)})
module.exports = defineConfig({ connect: () => connectSqlite(${JSON.stringify(db('order.db'))}), projections: [] })
`,
      )
      const r = await runCli(['trace', flow, '--json'], { cwd: single })
      expect(r.code).toBe(0)
      const trace = parseJson<{ services: unknown[]; tree: NodeJson[] }>(r)
      expect(trace.services).toEqual([{ name: 'default', events: 3, lookup: 'index', unreadable: 0 }])
      // PaymentRequested is in the other log: OrderPaid's cause is unknown here, so it shows as a command.
      expect(shape(trace.tree)).toEqual([
        { [`command:${flow}-cmd-place`]: [{ 'default:OrderPlaced': ['default:StockReserved'] }] },
        { [`command:${flow}-p2`]: ['default:OrderPaid'] },
      ])
    } finally {
      rmSync(single, { recursive: true, force: true })
    }
  })

  it('an eventfold.config.json names the services by SQLite file', async () => {
    const json = mkdtempSync(join(tmpdir(), 'eventfold-trace-'))
    try {
      writeFileSync(join(json, 'app.js'), 'exports.projections = []\n')
      writeFileSync(
        join(json, 'eventfold.config.json'),
        JSON.stringify({ sqlite: db('order.db'), modules: ['./app.js'], services: { order: db('order.db'), payment: db('payment.db') } }),
      )
      const r = await runCli(['trace', flow, '--json'], { cwd: json })
      expect(r.code).toBe(0)
      expect(shape(parseJson<{ tree: NodeJson[] }>(r).tree)).toEqual(expectedTree(flow))

      writeFileSync(join(json, 'eventfold.config.json'), JSON.stringify({ sqlite: 'x.db', modules: ['./app.js'], services: { order: 3 } }))
      const bad = await runCli(['trace', flow], { cwd: json })
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/"services" must map service names to SQLite files/)
    } finally {
      rmSync(json, { recursive: true, force: true })
    }
  })

  it('a services entry without connect is a config error, exit 2', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'eventfold-trace-'))
    try {
      writeFileSync(
        join(broken, 'eventfold.config.js'),
        `const { defineConfig, connectSqlite } = require(${JSON.stringify(CLI_INDEX)})
module.exports = defineConfig({ connect: () => connectSqlite('a.db'), projections: [], services: { order: {} } })
`,
      )
      const r = await runCli(['trace', flow], { cwd: broken })
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/services\.order\.connect must be a function/)
    } finally {
      rmSync(broken, { recursive: true, force: true })
    }
  })

  it('on a file without the correlation index, scans the log read-only, showing progress on a terminal, and changes nothing', async () => {
    // What a file written by older code holds: no index, no record of it.
    const old = new Database(db('payment.db'))
    old.exec('DROP INDEX eventfold_events_correlation')
    old.prepare("DELETE FROM eventfold_schema WHERE module = 'eventfold.events.correlation'").run()
    old.pragma('wal_checkpoint(TRUNCATE)')
    old.close()
    const before = readFileSync(db('payment.db'))

    const r = await runCli(['trace', flow, '--json'], { cwd: dir })
    expect(r.code).toBe(0)
    const trace = parseJson<{ services: unknown[]; tree: NodeJson[] }>(r)
    expect(trace.services).toEqual([
      { name: 'order', events: 3, lookup: 'index', unreadable: 0 },
      { name: 'payment', events: 2, lookup: 'scan', unreadable: 0 },
    ])
    expect(shape(trace.tree)).toEqual(expectedTree(flow))
    expect(readFileSync(db('payment.db')).equals(before)).toBe(true)

    if (hasScript) {
      const tty = await runCliOnTty(['trace', flow], { cwd: dir })
      expect(tty.code).toBe(0)
      expect(tty.stdout).toContain("scanning the log of 'payment' (no correlation index): position")
      expect(tty.stdout).toContain('└─ OrderPaid  [order]  Order-1@2')
    }
  })
})
