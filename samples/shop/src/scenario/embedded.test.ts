import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { configFromEnv } from '../runtime/config'
import { INITIAL_STOCK, startEmbeddedShop, type EmbeddedShop } from '../runtime/shop'
import { gatewayClient, type GatewayClient } from './client'
import { shopScenarioSuite } from './scenario-suite'

describe.each(['choreography', 'saga'] as const)('the shop on the embedded default (one process, in-memory transport, SQLite per service), %s flow', (flow) => {
  let dir: string
  let shop: EmbeddedShop
  let client: GatewayClient

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shop-'))
    shop = await startEmbeddedShop(configFromEnv({ SHOP_TRANSPORT: 'memory', SHOP_FLOW: flow, SHOP_DATA_DIR: dir, SHOP_RATE_CAPACITY: '5', SHOP_RATE_REFILL: '0.2' }))
    client = gatewayClient(await shop.gateway.listen({ host: '127.0.0.1', port: 0 }))
  })
  afterAll(async () => {
    await shop?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  shopScenarioSuite(() => ({
    client,
    logs: { order: shop.stores.order.eventStore, inventory: shop.stores.inventory.eventStore, payment: shop.stores.payment.eventStore, shipping: shop.stores.shipping.eventStore },
    readModels: shop.readModels,
    initialStock: INITIAL_STOCK,
    rateCapacity: 5,
    flow,
  }))
})
