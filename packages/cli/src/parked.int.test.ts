import { ParkedMessages } from '@eventfold/messaging'
import { ensureBuilt } from './test-support/build'
import { createFixtureApp, fixtureConfigJs, type FixtureApp } from './test-support/fixture-app'
import { billingConfig, consumeOrders, order } from './test-support/parked'
import { parseJson } from './test-support/run-cli'

interface Listed {
  consumer: string
  id: string
  eventType: string
  topic: string
  partition: number
  offset: string
  attempts: number
  error: { message: string }
}

describe('eventfold consumers and parked', () => {
  let app: FixtureApp
  const list = async (...args: string[]): Promise<Listed[]> => {
    const r = await app.run(['parked', 'list', ...args, '--json'])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    return parseJson<Listed[]>(r)
  }
  const bill = (orderId: string) => app.withStores((s) => s.documents.get('bills', orderId))

  /** Runs `billing` in this process over the app's file until every published order is handled; `poison` fails on every attempt. */
  const consume = (orders: readonly string[], poison: string): Promise<void> =>
    app.withStores((stores) => consumeOrders(stores.inbox!, orders.map((id, i) => order(id, i + 1)), poison))

  beforeAll(async () => {
    ensureBuilt()
    app = createFixtureApp({
      config: (db) => ({
        'eventfold.config.js': fixtureConfigJs(db, billingConfig),
      }),
    })
    await consume(['o-1', 'o-2', 'o-3'], 'o-2')
  })
  afterAll(() => app.remove())

  it('lists a parked message with its error, and changes nothing', async () => {
    const before = await app.fingerprint()
    expect(await list()).toMatchObject([
      { consumer: 'billing', id: 'order-placed-o-2', eventType: 'OrderPlaced.v1', topic: 'orders', attempts: 2, error: { message: 'cannot bill order o-2' } },
    ])
    expect(await list('--consumer', 'nobody')).toEqual([])
    const human = await app.run(['parked', 'list'])
    expect(human.stdout).toMatch(/^order-placed-o-2\s+billing\s+OrderPlaced\.v1\s+orders\[\d\]@\d+\s+2\s+\S+\s+cannot bill order o-2$/m)
    expect(await app.fingerprint()).toEqual(before)
    expect(await bill('o-1')).toEqual({ _id: 'o-1', billed: 1 })
    expect(await bill('o-2')).toBeUndefined()
  })

  it("applies a parked message once with the consumer's current code, and refuses a second retry", async () => {
    const retried = await app.run(['parked', 'retry', 'order-placed-o-2', '--json'])
    expect(retried).toMatchObject({ code: 0, stderr: '' })
    expect(parseJson(retried)).toMatchObject({ consumer: 'billing', id: 'order-placed-o-2', retried: true })
    expect(await bill('o-2')).toEqual({ _id: 'o-2', billed: 2 })
    const again = await app.run(['parked', 'retry', 'order-placed-o-2'])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain("no parked message with id 'order-placed-o-2'")
    expect(await bill('o-2')).toEqual({ _id: 'o-2', billed: 2 })
    expect(await list()).toEqual([])
  })

  it('keeps a message parked when its retry fails again, and discards it once', async () => {
    await consume(['o-5'], 'o-5')
    const failed = await app.run(['parked', 'retry', 'order-placed-o-5'], { env: { EVENTFOLD_FIXTURE_POISON_ORDER: 'o-5' } })
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain('cannot bill order o-5')
    expect(await list()).toMatchObject([{ id: 'order-placed-o-5' }])
    expect(await app.run(['parked', 'discard', 'order-placed-o-5'])).toMatchObject({ code: 0, stdout: "discarded parked message 'order-placed-o-5' of 'billing'\n" })
    expect((await app.run(['parked', 'discard', 'order-placed-o-5'])).code).toBe(2)
    expect(await app.withStores((s) => new ParkedMessages(s.documents).list())).toEqual([])
    expect(await bill('o-5')).toBeUndefined()
  })

  it('shows the lag of each consumer group per partition from the transport', async () => {
    const status = await app.run(['consumers', 'status', '--json'])
    expect(status).toMatchObject({ code: 0, stderr: '' })
    const rows = parseJson<{ consumer: string; topic: string; partition: number; committed?: string; end: string; lag: string }[]>(status)
    expect(rows.map((r) => r.consumer)).toEqual(['billing', 'billing'])
    expect(rows.reduce((n, r) => n + Number(r.end), 0)).toBe(4)
    expect(rows.reduce((n, r) => n + Number(r.lag), 0)).toBe(3)
    const human = await app.run(['consumers', 'status'])
    expect(human.stdout).toMatch(/^CONSUMER\s+TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG$/m)
  })

  it('exits 2 on usage errors and changes nothing', async () => {
    const before = await app.fingerprint()
    for (const args of [['parked'], ['parked', 'retry'], ['parked', 'retry', 'nope'], ['parked', 'discard', 'nope'], ['consumers', 'status', '--consumer', 'nope'], ['parked', 'retry', 'x', '--consumer', 'nope']]) {
      const r = await app.run(args)
      expect({ args, code: r.code }).toEqual({ args, code: 2 })
    }
    expect(await app.fingerprint()).toEqual(before)
  })
})
