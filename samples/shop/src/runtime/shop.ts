import type { DocumentStore } from '@eventfold/projections'
import type { FastifyInstance } from 'fastify'
import { declareShopTopics, shopTopics } from '../contracts/topics'
import { gatewayServer } from '../gateway/server'
import { seedStock, startInventoryService } from '../inventory/service'
import type { OrderApi } from '../order/api'
import { startOrderService } from '../order/service'
import { startPaymentService } from '../payment/service'
import { startShippingService } from '../shipping/service'
import type { ShopConfig } from './config'
import { openReadModels } from './read-models'
import { openServiceStores, type ServiceStores } from './stores'
import { openTransport } from './transport'
import type { RunningWorkers } from './workers'

/** The initial stock of the demo and the tests. */
export const INITIAL_STOCK: Readonly<Record<string, number>> = { 'ipad-air-11': 500, 'ipad-pro-13': 1, 'pencil-pro': 500 }

/** Options of {@link startEmbeddedShop}. */
export interface EmbeddedShopOptions {
  /** Leave the payment service out, so that orders wait for a payment that never comes (the deadlines' tests). @default false */
  readonly withoutPayment?: boolean
}

/** Every service of the shop running in this one process. */
export interface EmbeddedShop {
  readonly gateway: FastifyInstance
  readonly orders: OrderApi
  readonly stores: Readonly<Record<'order' | 'inventory' | 'payment' | 'shipping', ServiceStores>>
  /** Where the order-status read model is built. */
  readonly readModels: DocumentStore
  readonly readModelsDescription: string
  /** Stops every worker, then closes the stores and the broker connection. */
  stop(): Promise<void>
}

/**
 * Starts the whole shop in one process: each service still on its own
 * database, talking only through the transport (the in-memory one for the
 * embedded default, or Kafka). The gateway is returned unstarted (`inject` or `listen`).
 */
export const startEmbeddedShop = async (
  config: ShopConfig,
  stock: Readonly<Record<string, number>> = INITIAL_STOCK,
  { withoutPayment = false }: EmbeddedShopOptions = {},
): Promise<EmbeddedShop> => {
  const topics = shopTopics(config.namePrefix)
  const transport = openTransport(config, 'shop')
  await declareShopTopics(transport, topics)
  const stores = {
    order: await openServiceStores('order', config),
    inventory: await openServiceStores('inventory', config),
    payment: await openServiceStores('payment', config),
    shipping: await openServiceStores('shipping', config),
  }
  const readModels = await openReadModels(config, stores.order)
  const ctx = (s: ServiceStores) => ({ config, stores: s, transport, topics })
  const order = startOrderService(ctx(stores.order), readModels.documents)
  const inventory = startInventoryService(ctx(stores.inventory))
  await seedStock(inventory.app, stock)
  const payment = withoutPayment ? undefined : startPaymentService(ctx(stores.payment))
  const shipping = startShippingService(ctx(stores.shipping), order.api)
  const gateway = gatewayServer({ orders: order.api, readModels: readModels.documents, rateLimit: config.rateLimit, bodyLimit: config.bodyLimit })
  const all: RunningWorkers[] = [order.workers, inventory.workers, shipping.workers, ...(payment ? [payment.workers] : [])]
  return {
    gateway,
    orders: order.api,
    stores,
    readModels: readModels.documents,
    readModelsDescription: readModels.description,
    stop: async () => {
      await gateway.close()
      await Promise.all(all.map((w) => w.stop()))
      await transport.close()
      await readModels.close()
      for (const s of Object.values(stores)) await s.close()
    },
  }
}
