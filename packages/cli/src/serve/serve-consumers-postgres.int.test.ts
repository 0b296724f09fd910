import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { InboxStore } from '@eventfold/messaging'
import type { EventfoldConnection } from '../config/define-config'
import { CLI_INDEX, FIXTURE_APP, REPO_ROOT } from '../test-support/build'
import { ensureConsoleBuilt, schemaDigest, startConsole, type RunningConsole } from '../test-support/console'
import { BILLING_APP, consumeOrders, order } from '../test-support/parked'

const SAMPLE = join(REPO_ROOT, 'samples/bank-account')
// The CLI does not depend on PostgreSQL: the sample, which does, lends its driver and stores.
const sampleRequire = createRequire(join(SAMPLE, 'package.json'))
const url = process.env.POSTGRES_URL || 'postgres://eventfold:eventfold@127.0.0.1:5432/eventfold'

interface Pool {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
  end(): Promise<void>
}
type Connect = (options: { readOnly: boolean }) => Promise<EventfoldConnection>
type PostgresInbox = (url: string, options: { schema: string }) => InboxStore & { close(): Promise<void> }

describe('eventfold serve: parked messages on PostgreSQL (the README connect, with the consumers\' inbox)', () => {
  const schema = `eventfold_parked_${randomBytes(5).toString('hex')}`
  let dir: string
  let admin: Pool
  let server: RunningConsole
  let stores: EventfoldConnection
  let inbox: InboxStore & { close(): Promise<void> }

  /** Every row of every table of the schema, hashed. */
  const digest = (): Promise<string> => schemaDigest(admin, schema)

  beforeAll(async () => {
    ensureConsoleBuilt()
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'samples/bank-account'], { cwd: REPO_ROOT, stdio: 'pipe' })
    // The built adapter, as the sample's own code loads it (jest would map the package to its sources).
    const postgresql = join(REPO_ROOT, 'packages/adapters/postgresql/dist/index.js')
    dir = mkdtempSync(join(tmpdir(), 'eventfold-serve-parked-pg-'))
    writeFileSync(
      join(dir, 'eventfold.config.js'),
      `const { defineConfig } = require(${JSON.stringify(CLI_INDEX)})
const { connect } = require(${JSON.stringify(join(SAMPLE, 'dist/readme/postgresql.js'))})
const { postgresInbox } = require(${JSON.stringify(postgresql)})
const billingApp = require(${JSON.stringify(BILLING_APP)})
const app = require(${JSON.stringify(FIXTURE_APP)})
module.exports = defineConfig({
  connect: async (options) => {
    const stores = await connect(options)
    const inbox = postgresInbox(process.env.POSTGRES_URL, { schema: process.env.BANK_SCHEMA })
    return { ...stores, inbox, close: async () => { await inbox.close(); await stores.close() } }
  },
  projections: app.projections,
  aggregates: app.aggregates,
  consumers: [billingApp.billing],
  transport: billingApp.fixtureTransport,
})
`,
    )
    const driver = sampleRequire('pg') as { Pool: new (config: object) => Pool }
    admin = new driver.Pool({ connectionString: url, max: 1 })
    const { connect } = sampleRequire('./dist/readme/postgresql.js') as { connect: Connect }
    const saved = { POSTGRES_URL: process.env.POSTGRES_URL, BANK_SCHEMA: process.env.BANK_SCHEMA }
    Object.assign(process.env, { POSTGRES_URL: url, BANK_SCHEMA: schema })
    stores = await connect({ readOnly: false }).finally(() => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    })
    inbox = (sampleRequire('@eventfold/postgresql') as { postgresInbox: PostgresInbox }).postgresInbox(url, { schema })
    await consumeOrders(inbox, [order('o-1', 1), order('o-2', 2), order('o-3', 3)], 'o-2')
    await consumeOrders(inbox, [order('o-5', 5)], 'o-5')
    server = await startConsole(dir, [], { POSTGRES_URL: url, BANK_SCHEMA: schema })
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    await inbox?.close()
    await stores?.close()
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await admin?.end()
    rmSync(dir, { recursive: true, force: true })
  })

  const get = async (path: string): Promise<unknown> => (await fetch(server.url + path)).json()
  const post = (path: string, headers: Record<string, string> = { authorization: `Bearer ${server.token}` }): Promise<Response> => fetch(server.url + path, { method: 'POST', headers })
  const bill = (orderId: string) => stores.documents.get('bills', orderId)

  it('shows the consumer group with its lag and the parked messages with their data, and writes nothing', async () => {
    const before = await digest()
    expect(await get('api/consumers')).toMatchObject({ transport: true, consumers: [{ name: 'billing', parked: 2, lag: '3' }], relay: null })
    expect(await get('api/parked?type=OrderPlaced.v1&limit=1')).toMatchObject({ inbox: true, total: 2, messages: [{ id: 'order-placed-o-2', attempts: 2, error: { message: 'cannot bill order o-2' } }] })
    expect(await get('api/parked/billing/order-placed-o-5')).toMatchObject({ envelope: { streamId: 'Order-o-5' }, data: { orderId: 'o-5', amount: 5 } })
    expect(await digest()).toBe(before)
  })

  it('refuses retry and discard without the token (401) and the schema does not change', async () => {
    const before = await digest()
    for (const action of ['retry', 'discard']) {
      expect((await post(`api/parked/billing/order-placed-o-2/${action}`, {})).status).toBe(401)
      expect((await post(`api/parked/billing/order-placed-o-2/${action}`, { authorization: 'Bearer nope' })).status).toBe(401)
    }
    expect(await digest()).toBe(before)
  })

  it('retries one message through the inbox, applied once, and discards the other without applying it', async () => {
    const answers = await Promise.all([1, 2].map(() => post('api/parked/billing/order-placed-o-2/retry')))
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400])
    expect(await bill('o-2')).toEqual({ _id: 'o-2', billed: 2 })
    expect((await post('api/parked/billing/order-placed-o-5/discard')).status).toBe(200)
    expect((await post('api/parked/billing/order-placed-o-5/retry')).status).toBe(400)
    expect(await bill('o-5')).toBeUndefined()
    expect(await get('api/parked')).toMatchObject({ total: 0 })
    expect(await get('api/consumers')).toMatchObject({ consumers: [{ name: 'billing', parked: 0 }] })
  })
})
