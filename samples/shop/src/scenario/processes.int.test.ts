import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoDocumentStore } from '@eventfold/mongodb'
import pg from 'pg'
import { ShopCluster } from '../runtime/cluster'
import { configFromEnv } from '../runtime/config'
import { openShopLogs } from '../runtime/logs'
import { INITIAL_STOCK } from '../runtime/shop'
import type { ShopLogs } from './audit'
import { gatewayClient, type GatewayClient } from './client'
import { dropMongoDatabase } from './drop-mongo'
import { shopScenarioSuite } from './scenario-suite'

// Five processes share the machine with the rest of the suite: give each step room.
jest.setTimeout(90_000)

// Every service its own process and database, Kafka between them, the order-status read model in FerretDB.
describe.each([
  ['sqlite', 'choreography'],
  ['postgres', 'choreography'],
  ['sqlite', 'saga'],
  ['postgres', 'saga'],
] as const)('the shop as processes on Kafka, %s per service, the read model in MongoDB, %s flow', (store, flow) => {
  const run = `s${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
  const dir = mkdtempSync(join(tmpdir(), 'shop-procs-'))
  const gatewayPort = 20_000 + Math.floor(Math.random() * 20_000)
  const env = {
    ...process.env,
    SHOP_TRANSPORT: 'kafka',
    EVENTFOLD_STORE: store,
    SHOP_FLOW: flow,
    SHOP_SCHEMA_PREFIX: `shop_${run}_`,
    SHOP_DATA_DIR: dir,
    SHOP_NAME_PREFIX: `${run}.`,
    SHOP_MONGO_DB: `shop_${run}`,
    SHOP_GATEWAY_PORT: String(gatewayPort),
    SHOP_ORDER_PORT: String(gatewayPort + 1),
    SHOP_RATE_CAPACITY: '5',
    SHOP_RATE_REFILL: '0.2',
  }
  const cluster = new ShopCluster(env, join(dir, 'logs'))
  let client: GatewayClient
  let readModels: MongoDocumentStore
  let logs: { readonly logs: ShopLogs; close(): Promise<void> }

  beforeAll(async () => {
    if (!process.env.KAFKA_BROKERS || !process.env.MONGODB_URL || !process.env.POSTGRES_URL) {
      throw new Error('KAFKA_BROKERS, MONGODB_URL and POSTGRES_URL must be set: eval "$(scripts/services env)"')
    }
    await cluster.start()
    client = gatewayClient(`http://127.0.0.1:${gatewayPort}`)
    readModels = await MongoDocumentStore.connect(process.env.MONGODB_URL, { dbName: env.SHOP_MONGO_DB })
    logs = openShopLogs(configFromEnv(env))
  }, 90_000)
  afterAll(async () => {
    const codes = await cluster.stop()
    await logs?.close()
    await readModels?.close()
    await dropMongoDatabase(process.env.MONGODB_URL!, env.SHOP_MONGO_DB)
    if (store === 'postgres') {
      const pool = new pg.Pool({ connectionString: process.env.POSTGRES_URL, max: 1 })
      for (const s of ['order', 'inventory', 'payment', 'shipping']) await pool.query(`DROP SCHEMA IF EXISTS "${env.SHOP_SCHEMA_PREFIX}${s}" CASCADE`)
      await pool.end()
    }
    rmSync(dir, { recursive: true, force: true })
    expect(codes).toEqual({ order: 0, inventory: 0, payment: 0, shipping: 0, gateway: 0 })
  }, 60_000)

  shopScenarioSuite(() => ({ client, logs: logs.logs, readModels, initialStock: INITIAL_STOCK, rateCapacity: 5, flow }))
})
