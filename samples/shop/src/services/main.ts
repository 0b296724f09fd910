import { declareShopTopics, shopTopics } from '../contracts/topics'
import { gatewayServer } from '../gateway/server'
import { seedStock, startInventoryService } from '../inventory/service'
import { httpOrderApi, orderHttpServer } from '../order/api'
import { startOrderService } from '../order/service'
import { startPaymentService } from '../payment/service'
import { configFromEnv, SERVICES, type ServiceName, type ShopConfig } from '../runtime/config'
import { openReadModels } from '../runtime/read-models'
import { INITIAL_STOCK } from '../runtime/shop'
import { openServiceStores } from '../runtime/stores'
import { registerFileTracing } from '../runtime/tracing'
import { openTransport } from '../runtime/transport'
import type { RunningWorkers } from '../runtime/workers'
import { startShippingService } from '../shipping/service'

/** What a started service process holds until it is told to stop. */
interface Started {
  readonly workers?: RunningWorkers
  close(): Promise<void>
}

const orderUrl = (config: ShopConfig): string => `http://127.0.0.1:${config.orderPort}`

/** Announces readiness on stdout, one JSON line the demo and the tests wait for. */
const ready = (service: ServiceName, detail: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ ready: service, pid: process.pid, ...detail })}\n`)
}

const start = async (service: ServiceName, config: ShopConfig): Promise<Started> => {
  const topics = shopTopics(config.namePrefix)
  if (service === 'gateway') {
    // The gateway owns no data: it reads the order-status read model in MongoDB.
    const readModels = await openReadModels(config)
    const server = gatewayServer({ orders: httpOrderApi(orderUrl(config)), readModels: readModels.documents, rateLimit: config.rateLimit, bodyLimit: config.bodyLimit })
    const address = await server.listen({ host: '127.0.0.1', port: config.gatewayPort })
    ready(service, { url: address })
    return {
      close: async () => {
        await server.close()
        await readModels.close()
      },
    }
  }
  const stores = await openServiceStores(service, config)
  const transport = openTransport(config, `shop-${service}`)
  await declareShopTopics(transport, topics)
  const ctx = { config, stores, transport, topics }
  const closeAll = async (workers: RunningWorkers, more: () => Promise<void> = async () => {}): Promise<void> => {
    await workers.stop()
    await more()
    await transport.close()
    await stores.close()
  }
  switch (service) {
    case 'order': {
      const readModels = await openReadModels(config)
      const order = startOrderService(ctx, readModels.documents)
      const http = orderHttpServer(order.api)
      await http.listen({ host: '127.0.0.1', port: config.orderPort })
      ready(service, { url: orderUrl(config), store: stores.description, readModels: readModels.description, flow: config.flow })
      const closeHttp = async (): Promise<void> => {
        await http.close()
        await readModels.close()
      }
      return { workers: order.workers, close: () => closeAll(order.workers, closeHttp) }
    }
    case 'inventory': {
      const inventory = startInventoryService(ctx)
      await seedStock(inventory.app, config.stock ?? INITIAL_STOCK)
      ready(service, { store: stores.description })
      return { workers: inventory.workers, close: () => closeAll(inventory.workers) }
    }
    case 'payment': {
      const payment = startPaymentService(ctx)
      ready(service, { store: stores.description })
      return { workers: payment.workers, close: () => closeAll(payment.workers) }
    }
    case 'shipping': {
      // A ready order's address is fetched from the order service: wait out its restart rather than park the message.
      const orders = httpOrderApi(orderUrl(config), { unavailableRetryMs: 60_000 })
      const shipping = startShippingService(ctx, orders)
      ready(service, { store: stores.description })
      return { workers: shipping.workers, close: () => closeAll(shipping.workers) }
    }
  }
}

/** `node dist/services/main.js <service>`: runs one service until SIGINT or SIGTERM, then stops cleanly. */
const main = async (): Promise<void> => {
  const service = process.argv[2] as ServiceName
  if (!SERVICES.includes(service)) {
    process.stderr.write(`usage: main.js <${SERVICES.join('|')}>\n`)
    process.exit(2)
  }
  // SHOP_TRACE_FILE asks for an OpenTelemetry SDK writing this process's spans to that file (all services may share it).
  const traceFile = process.env.SHOP_TRACE_FILE
  const stopTracing = traceFile ? registerFileTracing(service, traceFile) : async () => {}
  const started = await start(service, configFromEnv())
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    started.close().then(stopTracing).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${service}: ${(error as Error).stack ?? String(error)}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  started.workers?.done.catch((error: unknown) => {
    process.stderr.write(`${service}: a worker failed: ${(error as Error).stack ?? String(error)}\n`)
    process.exit(1)
  })
}

main().catch((error: unknown) => {
  process.stderr.write(`${process.argv[2]}: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
