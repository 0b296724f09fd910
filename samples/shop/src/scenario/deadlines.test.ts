import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { configFromEnv } from '../runtime/config'
import { INITIAL_STOCK, startEmbeddedShop, type EmbeddedShop } from '../runtime/shop'
import { auditShop } from './audit'
import { gatewayClient } from './client'
import { orderOf } from './orders'
import { finalStatus } from './scenario-suite'
import { waitFor } from './wait'

// The payment service is left out: reserved orders wait for a payment that never comes, until a deadline acts.
describe.each(
  (['choreography', 'saga'] as const).flatMap((flow) => [
    [`the payment deadline cancels an unpaid order (${flow})`, { SHOP_FLOW: flow, SHOP_PAYMENT_TIMEOUT_MS: '200', SHOP_RESERVATION_TTL_MS: '600000' }, 'payment-timeout'],
    [`an expired reservation goes back on the shelf and cancels the order (${flow})`, { SHOP_FLOW: flow, SHOP_PAYMENT_TIMEOUT_MS: '600000', SHOP_RESERVATION_TTL_MS: '200' }, 'reservation-expired'],
  ]),
)('%s', (_name, env, reason) => {
  let dir: string
  let shop: EmbeddedShop

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shop-deadlines-'))
    shop = await startEmbeddedShop(configFromEnv({ SHOP_TRANSPORT: 'memory', SHOP_DATA_DIR: dir, ...env }), INITIAL_STOCK, { withoutPayment: true })
  })
  afterAll(async () => {
    await shop?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it(`ends the order cancelled (${reason}) with its stock released`, async () => {
    const client = gatewayClient(await shop.gateway.listen({ host: '127.0.0.1', port: 0 }))
    expect((await client.place(orderOf('late-1', 1))).status).toBe(202)
    expect(await finalStatus(client, 'late-1')).toMatchObject({ status: 'cancelled', reason })
    const logs = { order: shop.stores.order.eventStore, inventory: shop.stores.inventory.eventStore, payment: shop.stores.payment.eventStore, shipping: shop.stores.shipping.eventStore }
    const audit = await waitFor('stock released', async () => {
      const a = await auditShop(logs, shop.readModels, INITIAL_STOCK)
      return a.problems.length === 0 ? a : undefined
    })
    expect(audit.stock.get('ipad-air-11')).toEqual({ onHand: INITIAL_STOCK['ipad-air-11'], reserved: 0, shipped: 0 })
    expect(audit.orders.get('late-1')!.path.map((s) => s.type)).toContain(reason === 'payment-timeout' ? 'ReservationReleased' : 'ReservationExpired')
  })
})
