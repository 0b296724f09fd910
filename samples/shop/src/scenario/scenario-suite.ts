import type { RecordedEvent } from '@eventfold/core'
import type { DocumentStore } from '@eventfold/projections'
import { detectFraud } from '../payment/fraud'
import { auditShop, type ShopAudit, type ShopLogs } from './audit'
import type { GatewayClient } from './client'
import { cardOf, FINAL, orderOf } from './orders'
import { waitFor } from './wait'

/** A running shop, however it runs (one process, or one process per service). */
export interface ShopUnderTest {
  readonly client: GatewayClient
  readonly logs: ShopLogs
  readonly readModels: DocumentStore
  readonly initialStock: Readonly<Record<string, number>>
  /** The gateway's token bucket capacity per client key. */
  readonly rateCapacity: number
  /** Who drives the orders: the suite checks that the events after `OrderPlaced` come from the order's saga, or from none. */
  readonly flow: 'choreography' | 'saga'
}

/** Waits until an order is shipped or cancelled, as the gateway shows it. */
export const finalStatus = (client: GatewayClient, orderId: string, timeoutMs = 60_000): Promise<Record<string, unknown>> =>
  waitFor(
    `order ${orderId} final`,
    async () => {
      const { status, body } = await client.order(orderId)
      return status === 200 && FINAL.has(body.status as string) ? body : undefined
    },
    { timeoutMs },
  )

/** Waits until every rule of {@link auditShop} holds (compensations run after an order is final). */
export const auditUntilClean = async (shop: ShopUnderTest, timeoutMs = 60_000): Promise<ShopAudit> => {
  let last: ShopAudit | undefined
  return waitFor(
    'every order final and compensated, stock conserved, read model in agreement',
    async () => {
      last = await auditShop(shop.logs, shop.readModels, shop.initialStock)
      return last.problems.length === 0 ? last : undefined
    },
    { timeoutMs, everyMs: 200, describe: () => last?.problems.slice(0, 10) },
  )
}

const readAll = async (shop: ShopUnderTest, service: keyof ShopLogs): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = []
  for await (const e of shop.logs[service].readAll()) events.push(e)
  return events
}

const placedCount = async (shop: ShopUnderTest): Promise<number> => (await readAll(shop, 'order')).filter((e) => e.type === 'OrderPlaced').length

/**
 * The shop's scenario as jest tests, for any way of running it: an iPad
 * shipped, one refused for stock, a fraud burst, the rate limit, bad input,
 * and the rules of the audit at the end.
 */
export const shopScenarioSuite = (shop: () => ShopUnderTest): void => {
  it('ships an iPad: placed, reserved, paid, ready, shipped', async () => {
    const { client } = shop()
    expect((await client.place(orderOf('ship-1', 1))).status).toBe(202)
    const final = await finalStatus(client, 'ship-1')
    expect(final).toMatchObject({ status: 'shipped', trackingId: 'TRK-ship-1' })
    expect((final.history as { status: string }[]).map((h) => h.status)).toEqual(['placed', 'reserved', 'paid', 'ready', 'shipped'])
  })

  it('cancels an order the stock cannot cover, with nothing charged', async () => {
    const { client } = shop()
    expect((await client.place(orderOf('short-1', 2, 'ipad-pro-13', 2))).status).toBe(202)
    expect(await finalStatus(client, 'short-1')).toMatchObject({ status: 'cancelled', reason: 'out-of-stock' })
    const audit = await auditUntilClean(shop())
    expect(audit.payments.has('short-1')).toBe(false)
  })

  it('holds the third payment of a burst on one card as suspected fraud, and the same alerts come out of a replay', async () => {
    const { client } = shop()
    const card = cardOf(9999)
    const burst = ['burst-1', 'burst-2', 'burst-3'].map((id, i) => orderOf(id, 30 + i, 'pencil-pro', 1, card))
    for (const request of burst) expect((await client.place(request)).status).toBe(202)
    const finals = await Promise.all(burst.map((r) => finalStatus(client, r.body.orderId)))
    // The orders travel on different partitions, so the payment log may hold their attempts in any order: the third there is the one held.
    const attemptOrder = (await readAll(shop(), 'payment')).filter((e) => e.type === 'PaymentAttempted' && e.streamId.startsWith('Payment-burst-')).map((e) => e.streamId.slice('Payment-'.length))
    const third = attemptOrder[2]!
    expect(Object.fromEntries(finals.map((f) => [f._id, [f.status, f.reason]]))).toEqual(
      Object.fromEntries(burst.map((r) => [r.body.orderId, r.body.orderId === third ? ['cancelled', 'fraud-suspected'] : ['shipped', undefined]])),
    )
    const audit = await auditUntilClean(shop())
    expect(audit.fraudAlerts.filter((a) => a.orderId.startsWith('burst-'))).toEqual([{ orderId: third, rule: 'card-velocity' }])
    // Replay: the detector run again over the payment log from the start raises exactly the alerts the log holds.
    const attempts = (await readAll(shop(), 'payment'))
      .filter((e) => e.type === 'PaymentAttempted')
      .map(({ data }) => {
        const d = data as { orderId: string; customerId: string; card: string; amount: number; attemptedAt: string }
        return { ...d, at: Date.parse(d.attemptedAt) }
      })
    expect(detectFraud(attempts).map((a) => ({ orderId: a.orderId, rule: a.rule }))).toEqual(audit.fraudAlerts)
  })

  it('answers 429 with Retry-After beyond the token bucket, and appends nothing for those requests', async () => {
    const { client, rateCapacity } = shop()
    const before = await placedCount(shop())
    const requests = Array.from({ length: rateCapacity + 3 }, (_, i) => ({ ...orderOf(`rate-${i}`, 50), clientKey: 'greedy-client' }))
    const answers = await Promise.all(requests.map((r) => client.place(r)))
    const limited = answers.flatMap((a, i) => (a.status === 429 ? [requests[i]!.body.orderId] : []))
    expect(limited.length).toBeGreaterThanOrEqual(3)
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect(a.body.message).toMatch(/rate limit/)
    }
    await Promise.all(answers.flatMap((a, i) => (a.status === 202 ? [finalStatus(client, requests[i]!.body.orderId)] : [])))
    const orderStreams = new Set((await readAll(shop(), 'order')).map((e) => e.streamId))
    expect(limited.filter((id) => orderStreams.has(`Order-${id}`))).toEqual([])
    expect(await placedCount(shop())).toBe(before + answers.filter((a) => a.status === 202).length)
  })

  it('refuses bad input with 400, 404 or 413 and a clear message, appending nothing', async () => {
    const { client } = shop()
    const before = await placedCount(shop())
    const good = orderOf('bad-0', 60).body
    const { customerId: _omitted, ...missing } = good
    const raw = (body: string, n: number) => client.raw(body, { 'x-client-key': `bad-input-${n}` })
    const cases: [string, Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp][] = [
      ['missing field', raw(JSON.stringify({ ...missing, orderId: 'bad-1' }), 1), 400, /customerId/],
      ['wrong type', raw(JSON.stringify({ ...good, orderId: 'bad-2', quantity: 'two' }), 2), 400, /quantity/],
      ['not JSON', raw('{"orderId": "bad-3",', 3), 400, /JSON/i],
      ['huge body', raw(JSON.stringify({ ...good, orderId: 'bad-4', note: 'x'.repeat(64 * 1024) }), 4), 413, /over the limit/],
      ['unknown SKU', raw(JSON.stringify({ ...good, orderId: 'bad-5', sku: 'ipod-classic' }), 5), 404, /unknown SKU 'ipod-classic'/],
      ['bad card', raw(JSON.stringify({ ...good, orderId: 'bad-6', card: 'not-a-card' }), 6), 400, /card/],
    ]
    for (const [what, answer, status, message] of cases) {
      const a = await answer
      expect({ what, status: a.status }).toEqual({ what, status })
      expect(String(a.body.message)).toMatch(message)
    }
    expect((await client.order('never-placed')).status).toBe(404)
    expect(await placedCount(shop())).toBe(before)
  })

  it('ends with every order final and compensated, stock conserved, and the read model agreeing with the log', async () => {
    const audit = await auditUntilClean(shop())
    expect(audit.problems).toEqual([])
    const { body } = await shop().client.customerOrders('c1')
    expect((body.orders as { _id: string }[]).map((o) => o._id)).toContain('ship-1')
  })

  it('moves every order on by the configured flow: every step sent by the OrderSaga, or none', async () => {
    const steps = (await readAll(shop(), 'order')).filter((e) => e.type !== 'OrderPlaced')
    expect(steps.length).toBeGreaterThan(0)
    const bySaga = steps.filter((e) => typeof e.metadata.sagaId === 'string' && e.metadata.sagaId.length > 0)
    expect(bySaga.length).toBe(shop().flow === 'saga' ? steps.length : 0)
  })
}
