import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoDocumentStore } from '@eventfold/mongodb'
import { openSqlite, SqliteEventStore, type SqliteConnection } from '@eventfold/sqlite'
import { ShopCluster } from '../runtime/cluster'
import { INITIAL_STOCK } from '../runtime/shop'
import { gatewayClient, type GatewayClient } from './client'
import { shopScenarioSuite } from './scenario-suite'

// Five processes share the machine with the rest of the suite: give each step room.
jest.setTimeout(90_000)

// Every service its own process and SQLite file, Kafka between them, the order-status read model in FerretDB.
describe('the shop as processes on Kafka, SQLite per service, the read model in MongoDB', () => {
  const run = `s${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
  const dir = mkdtempSync(join(tmpdir(), 'shop-procs-'))
  const gatewayPort = 20_000 + Math.floor(Math.random() * 20_000)
  const env = {
    ...process.env,
    SHOP_TRANSPORT: 'kafka',
    EVENTFOLD_STORE: 'sqlite',
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
  const connections: SqliteConnection[] = []
  const logOf = (service: string) => {
    const connection = openSqlite(join(dir, `${service}.db`))
    connections.push(connection)
    return new SqliteEventStore(connection)
  }

  beforeAll(async () => {
    if (!process.env.KAFKA_BROKERS || !process.env.MONGODB_URL) throw new Error('KAFKA_BROKERS and MONGODB_URL must be set: eval "$(scripts/services env)"')
    await cluster.start()
    client = gatewayClient(`http://127.0.0.1:${gatewayPort}`)
    readModels = await MongoDocumentStore.connect(process.env.MONGODB_URL, { dbName: env.SHOP_MONGO_DB })
  }, 90_000)
  afterAll(async () => {
    const codes = await cluster.stop()
    for (const c of connections) c.close()
    await readModels?.close()
    rmSync(dir, { recursive: true, force: true })
    expect(codes).toEqual({ order: 0, inventory: 0, payment: 0, shipping: 0, gateway: 0 })
  }, 60_000)

  shopScenarioSuite(() => ({
    client,
    logs: { order: logOf('order'), inventory: logOf('inventory'), payment: logOf('payment'), shipping: logOf('shipping') },
    readModels,
    initialStock: INITIAL_STOCK,
    rateCapacity: 5,
  }))
})
