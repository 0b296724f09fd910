import { join } from 'node:path'
import { ParkedMessages } from '@eventfold/messaging'
import { CLI_ROOT } from '../test-support/build'
import { databaseDigest, ensureConsoleBuilt, startConsole, type RunningConsole } from '../test-support/console'
import { createFixtureApp, fixtureConfigJs, seedTallies, type FixtureApp } from '../test-support/fixture-app'
import { billingConfig, consumeOrders, order } from '../test-support/parked'

const PUBLICATIONS = join(CLI_ROOT, 'dist/__fixtures__/tally-publications.js')
const TRANSPORT = join(CLI_ROOT, 'dist/__fixtures__/file-transport.js')

const json = async (response: Response): Promise<unknown> => response.json()

describe('eventfold serve: consumer groups and parked messages', () => {
  let app: FixtureApp
  let server: RunningConsole
  const get = async (path: string): Promise<unknown> => json(await fetch(server.url + path))
  const post = (path: string, headers: Record<string, string> = { authorization: `Bearer ${server.token}` }, body = '{}'): Promise<Response> =>
    fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  const bill = (orderId: string) => app.withStores((s) => s.documents.get('bills', orderId))
  const cli = async (...args: string[]): Promise<unknown> => {
    const r = await app.run([...args, '--json'], { env: { EVENTFOLD_TEST_OUTBOX: join(app.dir, 'outbox.jsonl') } })
    expect({ args, code: r.code }).toEqual({ args, code: 0 })
    return JSON.parse(r.stdout)
  }

  beforeAll(async () => {
    ensureConsoleBuilt()
    app = createFixtureApp({
      config: (db) => ({
        'eventfold.config.js': fixtureConfigJs(db, {
          preamble: billingConfig.preamble,
          properties: `${billingConfig.properties} relay: { publications: require(${JSON.stringify(PUBLICATIONS)}).publications },`,
        }),
        'transport.js': `module.exports = require(${JSON.stringify(TRANSPORT)})\n`,
      }),
    })
    await app.withStores(async (stores) => {
      await seedTallies(stores, { streams: 2, perStream: 3 })
      await consumeOrders(stores.inbox!, [order('o-1', 1), order('o-2', 2), order('o-3', 3)], 'o-2')
      await consumeOrders(stores.inbox!, [order('o-5', 5)], 'o-5')
    })
    await cli('relay', 'run', '--catch-up', '--transport', 'transport.js')
    await app.withStores((stores) => seedTallies(stores, { streams: 1, perStream: 2, prefix: 'late' }))
    // The console's own process still cannot bill o-5: its retry fails again.
    server = await startConsole(app.dir, [], { EVENTFOLD_FIXTURE_POISON_ORDER: 'o-5' })
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    app?.remove()
  })

  it('reads every endpoint without writing to the database', async () => {
    const before = databaseDigest(app.db)
    for (const path of ['api/consumers', 'api/parked', 'api/parked?consumer=billing&type=OrderPlaced.v1&offset=1&limit=1', 'api/parked/billing/order-placed-o-2', '#/consumers', '#/parked']) {
      expect({ path, status: (await fetch(server.url + path)).status }).toEqual({ path, status: 200 })
    }
    expect(databaseDigest(app.db)).toBe(before)
  })

  it("shows each consumer group's lag as `consumers status` does, its parked count, and the relay as `relay status` does", async () => {
    const groups = (await get('api/consumers')) as { partitions: unknown[]; relay: unknown }
    expect(groups).toMatchObject({ transport: true, transportError: null, consumers: [{ name: 'billing', topics: ['orders'], parked: 2, lag: '3' }] })
    expect(groups.partitions).toEqual(((await cli('consumers', 'status')) as Record<string, unknown>[]).map((r) => ({ committed: null, ...r })))
    expect(groups.relay).toEqual(await cli('relay', 'status'))
    expect(groups.relay).toMatchObject({ relay: 'default', partitions: [{ partition: '0/1', checkpoint: '6', lag: '2' }] })
  })

  it('lists parked messages as `parked list` does, a page at a time, by consumer group and type', async () => {
    const all = (await get('api/parked')) as { messages: unknown[] }
    expect(all).toMatchObject({ consumers: ['billing'], inbox: true, types: ['OrderPlaced.v1'], total: 2, offset: 0, limit: 50 })
    expect(all.messages).toEqual(await cli('parked', 'list'))
    expect(await get('api/parked?offset=1&limit=1')).toMatchObject({ total: 2, messages: [{ id: 'order-placed-o-5' }] })
    expect(await get('api/parked?consumer=billing&type=OrderPlaced.v1')).toMatchObject({ total: 2 })
    expect(await get('api/parked?type=OrderCancelled.v1')).toMatchObject({ total: 0, messages: [] })
    expect(await get('api/parked?consumer=shipping')).toMatchObject({ total: 0, messages: [] })
  })

  it('shows one parked message with its envelope, data, metadata, error and attempts', async () => {
    expect(await get('api/parked/billing/order-placed-o-2')).toEqual({
      consumer: 'billing',
      id: 'order-placed-o-2',
      eventType: 'OrderPlaced.v1',
      topic: 'orders',
      partition: expect.any(Number),
      offset: expect.any(String),
      key: 'Order-o-2',
      attempts: 2,
      parkedAt: expect.any(String),
      error: { message: 'cannot bill order o-2' },
      headers: expect.objectContaining({ 'ef-id': 'order-placed-o-2', 'ef-type': 'OrderPlaced.v1' }),
      envelope: { id: 'order-placed-o-2', type: 'OrderPlaced.v1', source: 'orders', streamId: 'Order-o-2', revision: '0', position: '1', occurredAt: '2026-01-01T00:00:00.000Z', payload: 'full' },
      metadata: { correlationId: null, causationId: null, traceparent: null },
      data: { orderId: 'o-2', amount: 2 },
      malformed: null,
      value: null,
    })
  })

  it.each([
    '/api/parked/billing/order-placed-o-2/retry',
    '/api/parked/billing/order-placed-o-2/discard',
  ])('refuses %s without a token or with a wrong one (401), and the database does not change', async (path) => {
    const before = databaseDigest(app.db)
    for (const headers of [{}, { authorization: `Bearer ${server.token}x` }, { authorization: server.token }, { authorization: `Basic ${server.token}` }] as Record<string, string>[]) {
      const answer = await post(path.slice(1), headers)
      expect({ headers, status: answer.status, www: answer.headers.get('www-authenticate') }).toEqual({ headers, status: 401, www: 'Bearer' })
      expect(await json(answer)).toMatchObject({ error: { type: 'console-request' } })
    }
    expect(databaseDigest(app.db)).toBe(before)
  })

  it.each([
    ['GET', 'api/parked/billing/order-placed-o-9', "consumer 'billing' has no parked message 'order-placed-o-9'"],
    ['GET', 'api/parked?limit=0', 'limit: Expected a whole number from 1 to 1000.'],
    ['POST', 'api/parked/billing/order-placed-o-9/retry', "no parked message with id 'order-placed-o-9' for consumer 'billing'"],
    ['POST', 'api/parked/shipping/order-placed-o-2/retry', "no consumer named 'shipping' in the config (known: billing)"],
    ['POST', 'api/parked/billing/order-placed-o-9/discard', "no parked message with id 'order-placed-o-9' for consumer 'billing'"],
    ['POST', 'api/parked/billing/order-placed-o-2/discard', "unknown field 'force'", '{"force":true}'],
  ])('answers %s /%s with 400 and a clear message, and changes nothing', async (method, path, message, body = '{}') => {
    const before = databaseDigest(app.db)
    const answer = method === 'POST' ? await post(path, undefined, body) : await fetch(server.url + path)
    expect({ status: answer.status, message: ((await json(answer)) as { error: { message: string } }).error.message }).toEqual({ status: 400, message: expect.stringContaining(message) })
    expect(databaseDigest(app.db)).toBe(before)
  })

  it('answers a retry whose handler fails again with 409 and the error; the message stays parked', async () => {
    const answer = await post('api/parked/billing/order-placed-o-5/retry')
    expect(answer.status).toBe(409)
    expect(await json(answer)).toEqual({ error: { type: 'ParkedRetryFailedError', message: "retrying message 'order-placed-o-5' of consumer 'billing' failed again: cannot bill order o-5" } })
    expect(await get('api/parked/billing/order-placed-o-5')).toMatchObject({ error: { message: 'cannot bill order o-5' } })
    expect(await bill('o-5')).toBeUndefined()
  })

  it("retries a parked message through the consumer's inbox: applied once, however many retries race", async () => {
    expect(await bill('o-2')).toBeUndefined()
    const answers = await Promise.all([1, 2, 3].map(() => post('api/parked/billing/order-placed-o-2/retry')))
    const statuses = answers.map((a) => a.status).sort()
    expect(statuses).toEqual([200, 400, 400])
    expect(await json(answers.find((a) => a.status === 200)!)).toEqual({
      consumer: 'billing',
      id: 'order-placed-o-2',
      eventType: 'OrderPlaced.v1',
      topic: 'orders',
      partition: expect.any(Number),
      offset: expect.any(String),
      key: 'Order-o-2',
      retried: true,
      writes: expect.any(Number),
    })
    expect(await bill('o-2')).toEqual({ _id: 'o-2', billed: 2 })
    expect((await post('api/parked/billing/order-placed-o-2/retry')).status).toBe(400)
    expect(await bill('o-2')).toEqual({ _id: 'o-2', billed: 2 })
    expect(await get('api/consumers')).toMatchObject({ consumers: [{ name: 'billing', parked: 1 }] })
  })

  it('discards a parked message without applying it, once', async () => {
    const answer = await post('api/parked/billing/order-placed-o-5/discard')
    expect({ status: answer.status, body: await json(answer) }).toMatchObject({ status: 200, body: { consumer: 'billing', id: 'order-placed-o-5', discarded: true } })
    expect((await post('api/parked/billing/order-placed-o-5/discard')).status).toBe(400)
    expect(await get('api/parked')).toMatchObject({ total: 0, messages: [] })
    expect(await app.withStores((s) => new ParkedMessages(s.documents).list())).toEqual([])
    expect(await bill('o-5')).toBeUndefined()
  })
})

describe('eventfold serve on a config with no consumers', () => {
  let app: FixtureApp
  let server: RunningConsole

  beforeAll(async () => {
    ensureConsoleBuilt()
    app = createFixtureApp()
    await app.withStores((stores) => seedTallies(stores, { streams: 1, perStream: 2 }))
    server = await startConsole(app.dir)
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    app?.remove()
  })

  it('says there are no consumer groups, no relay and no parked messages, and writes nothing', async () => {
    const before = databaseDigest(app.db)
    expect(await json(await fetch(`${server.url}api/consumers`))).toEqual({ transport: false, transportError: null, consumers: [], partitions: null, relay: null })
    expect(await json(await fetch(`${server.url}api/parked`))).toEqual({ consumers: [], inbox: true, types: [], total: 0, offset: 0, limit: 50, messages: [] })
    expect(databaseDigest(app.db)).toBe(before)
  })
})

describe('eventfold serve when the transport cannot be reached and the stores have no inbox', () => {
  let app: FixtureApp
  let server: RunningConsole

  beforeAll(async () => {
    ensureConsoleBuilt()
    app = createFixtureApp({
      config: (db) => ({
        'eventfold.config.js': fixtureConfigJs(db, {
          preamble: billingConfig.preamble,
          // The stores without the consumers' inbox (a later key replaces the fixture's connect).
          properties: `consumers: [billingApp.billing], transport: async () => { throw new Error('broker at 127.0.0.1:1 refused the connection') },
  connect: async () => { const s = await connectSqlite(${JSON.stringify(db)}); return { eventStore: s.eventStore, documents: s.documents, close: () => s.close() } },`,
        }),
      }),
    })
    // o-2 fails in the handler; raw-1 is no integration event (no headers, a value that is not JSON).
    const raw = { id: 'raw-1', key: 'k', headers: {}, value: new TextEncoder().encode('<b>not json') }
    await app.withStores((stores) => consumeOrders(stores.inbox!, [order('o-1', 1), order('o-2', 2), raw], 'o-2'))
    server = await startConsole(app.dir)
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    app?.remove()
  })

  it('still shows the groups and their parked messages, and why the lag is unknown', async () => {
    expect(await json(await fetch(`${server.url}api/consumers`))).toEqual({
      transport: true,
      transportError: 'broker at 127.0.0.1:1 refused the connection',
      consumers: [{ name: 'billing', topics: ['orders'], parked: 2, lag: null }],
      partitions: null,
      relay: null,
    })
    expect(await json(await fetch(`${server.url}api/parked`))).toMatchObject({ consumers: ['billing'], inbox: false, total: 2 })
  })

  it('shows a parked message that is no integration event with its raw value and why it does not decode', async () => {
    const message = await json(await fetch(`${server.url}api/parked/billing/raw-1`))
    expect(message).not.toHaveProperty('eventType')
    expect(message).toMatchObject({
      id: 'raw-1',
      envelope: null,
      data: null,
      malformed: expect.stringContaining("header 'ef-payload' is missing"),
      value: { encoding: 'utf-8', text: '<b>not json' },
    })
  })
})
