import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoDocumentStore } from '@eventfold/mongodb'
import { PostgresEventStore } from '@eventfold/postgresql'
import pg from 'pg'
import { ShopCluster } from '../runtime/cluster'
import type { ShopLogs } from './audit'
import { gatewayClient, type GatewayClient } from './client'
import { dropMongoDatabase } from './drop-mongo'
import { orderOf, type OrderRequest } from './orders'
import { auditUntilClean } from './scenario-suite'

const ORDERS = 200
const IN_FLIGHT = 8
const STOCK = { 'ipad-air-11': 150, 'ipad-pro-13': 3, 'pencil-pro': 100 }

/** Every tenth order wants the scarce model, so some orders are refused for stock and compensation runs too. */
const requestOf = (i: number): OrderRequest => orderOf(`e2e-${i}`, 1000 + i, i % 10 === 0 ? 'ipad-pro-13' : i % 3 === 0 ? 'pencil-pro' : 'ipad-air-11')

/** Places an order until the gateway accepts it: while the order service is down it answers 5xx, and the same id is safe to send again. */
const placeUntilAccepted = async (client: GatewayClient, request: OrderRequest): Promise<number> => {
  let attempts = 0
  for (;;) {
    attempts += 1
    const answer = await client.place(request).catch(() => undefined)
    if (answer?.status === 202) return attempts
    if (answer && answer.status < 500) throw new Error(`order ${request.body.orderId} refused with ${answer.status}: ${JSON.stringify(answer.body)}`)
    await new Promise((resolve) => setTimeout(resolve, 100)) // back-off before trying a service that is restarting
  }
}

describe.each(['choreography', 'saga'] as const)('the shop through crashes: 200 orders on Kafka, PostgreSQL per service, FerretDB, %s flow', (flow) => {
  const run = `c${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
  const dir = mkdtempSync(join(tmpdir(), 'shop-crash-'))
  const gatewayPort = 20_000 + Math.floor(Math.random() * 20_000)
  const schemaPrefix = `shop_${run}_`
  const env = {
    ...process.env,
    SHOP_TRANSPORT: 'kafka',
    EVENTFOLD_STORE: 'postgres',
    SHOP_FLOW: flow,
    SHOP_SCHEMA_PREFIX: schemaPrefix,
    SHOP_DATA_DIR: dir,
    SHOP_NAME_PREFIX: `${run}.`,
    SHOP_MONGO_DB: `shop_${run}`,
    SHOP_GATEWAY_PORT: String(gatewayPort),
    SHOP_ORDER_PORT: String(gatewayPort + 1),
    SHOP_STOCK: JSON.stringify(STOCK),
  }
  const cluster = new ShopCluster(env, join(dir, 'logs'))
  let pool: pg.Pool
  let readModels: MongoDocumentStore

  beforeAll(async () => {
    if (!process.env.KAFKA_BROKERS || !process.env.MONGODB_URL || !process.env.POSTGRES_URL) {
      throw new Error('KAFKA_BROKERS, MONGODB_URL and POSTGRES_URL must be set: eval "$(scripts/services env)"')
    }
    pool = new pg.Pool({ connectionString: process.env.POSTGRES_URL, max: 4 })
    readModels = await MongoDocumentStore.connect(process.env.MONGODB_URL, { dbName: env.SHOP_MONGO_DB })
    await cluster.start()
  }, 90_000)
  afterAll(async () => {
    await cluster.stop()
    await readModels?.close()
    await dropMongoDatabase(process.env.MONGODB_URL!, env.SHOP_MONGO_DB)
    for (const s of ['order', 'inventory', 'payment', 'shipping']) await pool?.query(`DROP SCHEMA IF EXISTS "${schemaPrefix}${s}" CASCADE`)
    await pool?.end()
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it('ends every order final, conserves stock, charges no card twice, and the read model agrees, with payment and order SIGKILLed once', async () => {
    const started = Date.now()
    const client = gatewayClient(`http://127.0.0.1:${gatewayPort}`)
    const logOf = (service: string) => new PostgresEventStore(pool, { schema: `${schemaPrefix}${service}` })
    const logs: ShopLogs = { order: logOf('order'), inventory: logOf('inventory'), payment: logOf('payment'), shipping: logOf('shipping') }
    /** Orders placed and not yet final when a service is killed: the crash must hit flows in the middle. */
    const inFlightAtCrash: number[] = []
    const crash = async (service: 'payment' | 'order'): Promise<void> => {
      let open = 0
      for await (const e of logs.order.readAll()) open += e.type === 'OrderPlaced' ? 1 : e.type === 'OrderShipped' || e.type === 'OrderCancelled' ? -1 : 0
      inFlightAtCrash.push(open)
      await cluster.crashAndRestart(service)
    }
    const crashes: Promise<void>[] = []
    let placed = 0
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < ORDERS) {
        const i = next++
        await placeUntilAccepted(client, requestOf(i))
        placed += 1
        if (placed === 50) crashes.push(crash('payment'))
        if (placed === 120) crashes.push(crash('order'))
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
    await Promise.all(crashes)
    expect(inFlightAtCrash.every((n) => n > 0)).toBe(true)
    const audit = await auditUntilClean({ client, logs, readModels, initialStock: STOCK, rateCapacity: 0, flow }, 180_000)
    expect(audit.problems).toEqual([])
    expect(audit.orders.size).toBe(ORDERS)
    const statuses = [...audit.orders.values()].map((o) => o.status)
    expect(statuses.filter((s) => s === 'shipped').length).toBeGreaterThan(ORDERS / 2)
    expect([...audit.payments.values()].every((p) => p.captures <= 1)).toBe(true)
    process.stdout.write(`shop e2e (${flow}): ${ORDERS} orders final in ${((Date.now() - started) / 1000).toFixed(1)} s (${statuses.filter((s) => s === 'shipped').length} shipped; orders in flight at the crashes: ${inFlightAtCrash.join(', ')})\n`)
  }, 300_000)
})
