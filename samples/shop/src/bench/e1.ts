import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventStore, RecordedEvent } from '@eventfold/core'
import { ShopConfigError } from '../errors'
import { ShopCluster } from '../runtime/cluster'
import { configFromEnv } from '../runtime/config'
import { openShopLogs } from '../runtime/logs'
import { startEmbeddedShop } from '../runtime/shop'
import { gatewayClient, type GatewayClient } from '../scenario/client'
import { orderOf } from '../scenario/orders'
import { dropMongoDatabase } from '../scenario/drop-mongo'
import { waitFor } from '../scenario/wait'

/** Where E1 runs the shop. */
export type E1Transport = 'memory' | 'kafka'

/** Options of {@link runE1}. */
export interface E1Options {
  readonly transport: E1Transport
  /** Orders placed per second, on a fixed schedule whatever the shop's answers (open loop). @default 50 */
  readonly rate?: number
  /** Orders per run. @default 300 */
  readonly orders?: number
  /** Temporary files go here. @default the OS temp dir */
  readonly dir?: string
  /** Base environment of the run (broker and database addresses). @default process.env */
  readonly env?: NodeJS.ProcessEnv
}

/** One E1 run. */
export interface E1Result {
  readonly transport: E1Transport
  readonly offeredPerSecond: number
  readonly orders: number
  /** Orders shipped per second, from the first placed to the last shipped. */
  readonly completedPerSecond: number
  /** Placed → shipped, from the two events' times in the order log. */
  readonly p50Ms: number
  readonly p99Ms: number
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN

const shippedSoFar = async (log: EventStore): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = []
  for await (const e of log.readAll()) if (e.type === 'OrderPlaced' || e.type === 'OrderShipped') events.push(e)
  return events
}

/** Places `orders` orders at `rate` per second, each from its own customer and card (nothing for fraud or the rate limit to stop). */
const offer = async (client: GatewayClient, orders: number, rate: number): Promise<void> => {
  const t0 = performance.now()
  const sent: Promise<void>[] = []
  for (let i = 0; i < orders; i++) {
    const due = t0 + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait)) // the offered rate's schedule, not a synchronisation
    sent.push(
      client.place(orderOf(`e1-${i}`, 10_000 + i)).then((answer) => {
        if (answer.status !== 202) throw new Error(`order e1-${i} refused with ${answer.status}: ${JSON.stringify(answer.body)}`)
      }),
    )
  }
  await Promise.all(sent)
}

/** Waits until every order shipped, then measures from the order log. */
const measure = async (log: EventStore, orders: number, transport: E1Transport, rate: number): Promise<E1Result> => {
  const events = await waitFor(
    `${orders} orders shipped`,
    async () => {
      const seen = await shippedSoFar(log)
      return seen.filter((e) => e.type === 'OrderShipped').length >= orders ? seen : undefined
    },
    { timeoutMs: 120_000 + (orders / rate) * 1000 * 4, everyMs: 250 },
  )
  const placedAt = new Map<string, number>()
  const latencies: number[] = []
  let first = Number.POSITIVE_INFINITY
  let last = 0
  for (const e of events) {
    const at = Date.parse(e.metadata.occurredAt)
    const orderId = (e.data as { orderId: string }).orderId
    if (e.type === 'OrderPlaced') {
      placedAt.set(orderId, at)
      first = Math.min(first, at)
    } else {
      latencies.push(at - placedAt.get(orderId)!)
      last = Math.max(last, at)
    }
  }
  latencies.sort((a, b) => a - b)
  return {
    transport,
    offeredPerSecond: rate,
    orders,
    completedPerSecond: orders / ((last - first) / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  }
}

/**
 * E1: the shop end to end. Orders go through the gateway at a fixed offered
 * rate; each is reserved, paid, fraud-checked, allocated and shipped across
 * the services. Reports orders completed per second and the placed → shipped
 * latency. `memory`: every service in this process on the in-memory
 * transport; `kafka`: five processes on Kafka, SQLite per service, the read
 * model in MongoDB.
 */
export const runE1 = async ({ transport, rate = 50, orders = 300, dir = tmpdir(), env = process.env }: E1Options): Promise<E1Result> => {
  const data = mkdtempSync(join(dir, 'shop-e1-'))
  const run = `e1${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
  const stock = { 'ipad-air-11': orders, 'ipad-pro-13': 0, 'pencil-pro': 0 }
  const shopEnv = {
    ...env,
    SHOP_DATA_DIR: data,
    SHOP_RATE_CAPACITY: String(orders * 10),
    SHOP_RATE_REFILL: String(orders * 10),
    EVENTFOLD_STORE: 'sqlite',
    SHOP_NAME_PREFIX: `${run}.`,
    SHOP_MONGO_DB: `shop_${run}`,
    SHOP_STOCK: JSON.stringify(stock),
  }
  try {
    if (transport === 'memory') {
      const config = configFromEnv({ ...shopEnv, SHOP_TRANSPORT: 'memory', MONGODB_URL: '' })
      const shop = await startEmbeddedShop(config, stock)
      try {
        const client = gatewayClient(await shop.gateway.listen({ host: '127.0.0.1', port: 0 }))
        await offer(client, orders, rate)
        return await measure(shop.stores.order.eventStore, orders, transport, rate)
      } finally {
        await shop.stop()
      }
    }
    if (!env.KAFKA_BROKERS || !env.MONGODB_URL) throw new ShopConfigError(env.KAFKA_BROKERS ? 'MONGODB_URL' : 'KAFKA_BROKERS', '', 'set for E1 on Kafka (eval "$(scripts/services env)")')
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    const config = configFromEnv({ ...shopEnv, SHOP_TRANSPORT: 'kafka', SHOP_GATEWAY_PORT: String(port), SHOP_ORDER_PORT: String(port + 1) })
    const cluster = new ShopCluster({ ...shopEnv, SHOP_TRANSPORT: 'kafka', SHOP_GATEWAY_PORT: String(port), SHOP_ORDER_PORT: String(port + 1) }, join(data, 'logs'))
    await cluster.start()
    const { logs, close } = openShopLogs(config)
    try {
      await offer(gatewayClient(`http://127.0.0.1:${port}`), orders, rate)
      return await measure(logs.order, orders, transport, rate)
    } finally {
      await close()
      await cluster.stop()
      await dropMongoDatabase(env.MONGODB_URL, config.mongoDb)
    }
  } finally {
    rmSync(data, { recursive: true, force: true })
  }
}
