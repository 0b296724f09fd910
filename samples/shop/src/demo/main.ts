import { mkdirSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { MongoDocumentStore } from '@eventfold/mongodb'
import { ShopCluster } from '../runtime/cluster'
import { configFromEnv, type ShopConfig } from '../runtime/config'
import { openShopLogs } from '../runtime/logs'
import { INITIAL_STOCK, startEmbeddedShop } from '../runtime/shop'
import { gatewayClient } from '../scenario/client'
import { auditUntilClean } from '../scenario/scenario-suite'
import { printReport } from './report'
import { runDemoScenario } from './scenario'
import { ensureServers } from './services'
import { writeTraceConfig } from './trace-config'

/** A small bucket, so that the demo's eager client runs over it after three orders. */
const DEMO_DEFAULTS = { SHOP_RATE_CAPACITY: '3', SHOP_RATE_REFILL: '0.1' }

const say = (line: string): void => void process.stdout.write(`${line}\n`)

/** Ctrl-C: stop what runs, then exit. The first signal stops cleanly; a second one exits at once. */
const onInterrupt = (stop: () => Promise<void>): void => {
  let stopping = false
  process.on('SIGINT', () => {
    if (stopping) process.exit(130)
    stopping = true
    say('\nStopping every service…')
    stop().then(
      () => process.exit(130),
      () => process.exit(1),
    )
  })
}

/** Every service in this process, on the in-memory transport and one SQLite file per service. */
const embedded = async (base: ShopConfig): Promise<void> => {
  const config: ShopConfig = { ...base, transport: 'memory', store: 'sqlite', mongoUrl: undefined }
  say(`Embedded shop (${config.flow}): every service in this process, in-memory transport, SQLite files in ${config.dataDir}`)
  const shop = await startEmbeddedShop(config)
  onInterrupt(shop.stop)
  const client = gatewayClient(await shop.gateway.listen({ host: '127.0.0.1', port: config.gatewayPort }))
  await runDemoScenario(client, config.rateLimit.capacity, say)
  const logs = { order: shop.stores.order.eventStore, inventory: shop.stores.inventory.eventStore, payment: shop.stores.payment.eventStore, shipping: shop.stores.shipping.eventStore }
  printReport(await auditUntilClean({ client, logs, readModels: shop.readModels, initialStock: INITIAL_STOCK, rateCapacity: config.rateLimit.capacity, flow: config.flow }))
  sayTrace(config)
  if (await keepServing(`http://127.0.0.1:${config.gatewayPort}`)) await shop.stop()
}

/** Each service its own process, Kafka between them, the order-status read model in MongoDB. */
const processes = async (base: ShopConfig): Promise<void> => {
  const servers = ensureServers(base.store === 'postgres' ? ['kafka', 'mongodb', 'postgres'] : ['kafka', 'mongodb'], say)
  const env = { ...DEMO_DEFAULTS, ...process.env, ...servers }
  // A run's names are new, so it starts from empty topics, schemas and read model whatever ran before.
  const run = `demo${Date.now().toString(36)}`
  const config = configFromEnv({ ...env, SHOP_NAME_PREFIX: `${run}.`, SHOP_MONGO_DB: `shop_${run}`, SHOP_SCHEMA_PREFIX: `shop_${run}_`, SHOP_DATA_DIR: join(base.dataDir, run) })
  const childEnv = { ...env, SHOP_NAME_PREFIX: config.namePrefix, SHOP_MONGO_DB: config.mongoDb, SHOP_SCHEMA_PREFIX: config.schemaPrefix, SHOP_DATA_DIR: config.dataDir, SHOP_TRANSPORT: 'kafka', SHOP_FLOW: config.flow }
  mkdirSync(config.dataDir, { recursive: true })
  const cluster = new ShopCluster(childEnv, join(config.dataDir, 'logs'))
  const stopAll = async (): Promise<void> => {
    const codes = await cluster.stop()
    say(`Stopped: ${Object.entries(codes).map(([s, c]) => `${s} exit ${c}`).join(', ')}`)
  }
  onInterrupt(stopAll)
  say(`Starting order, inventory, payment, shipping and gateway as processes, ${config.flow} flow (${config.store === 'postgres' ? `PostgreSQL schemas ${config.schemaPrefix}*` : `SQLite files in ${config.dataDir}`}; Kafka topics ${config.namePrefix}shop.*; read model in MongoDB ${config.mongoDb}; logs in ${join(config.dataDir, 'logs')})`)
  for (const [service, ready] of Object.entries(await cluster.start())) say(`  ${service.padEnd(9)} pid ${String(ready.pid)} ${String(ready.url ?? ready.store ?? '')}`)
  const client = gatewayClient(`http://127.0.0.1:${config.gatewayPort}`)
  await runDemoScenario(client, config.rateLimit.capacity, say)
  const { logs, close } = openShopLogs(config)
  const readModels = await MongoDocumentStore.connect(config.mongoUrl!, { dbName: config.mongoDb })
  try {
    printReport(await auditUntilClean({ client, logs, readModels, initialStock: INITIAL_STOCK, rateCapacity: config.rateLimit.capacity, flow: config.flow }))
    sayTrace(config)
  } finally {
    await readModels.close()
    await close()
  }
  if (await keepServing(`http://127.0.0.1:${config.gatewayPort}`)) await stopAll()
}

/** On SQLite, a config for `eventfold trace` across the services' files, and how to use it. */
const sayTrace = (config: ShopConfig): void => {
  if (config.store !== 'sqlite') return
  say(`\nFollow one order across the services' logs: npx eventfold trace mallory-3 --config ${relative(process.cwd(), writeTraceConfig(config.dataDir))}`)
}

/** After the report the shop stays up for people to try, until Ctrl-C; `--exit` stops at once (true: stop now). */
const keepServing = async (url: string): Promise<boolean> => {
  if (process.argv.includes('--exit')) return true
  say(`\nThe shop stays up: try curl ${url}/customers/c1/orders. Ctrl-C stops every service.`)
  await new Promise<never>(() => {})
  return false
}

/** `--flow saga|choreography` (or `--flow=…`), else `SHOP_FLOW`; the configuration checks the value. */
const flowOption = (argv: readonly string[]): Record<string, string> => {
  const i = argv.findIndex((a) => a === '--flow' || a.startsWith('--flow='))
  if (i < 0) return {}
  const arg = argv[i]!
  return { SHOP_FLOW: arg.includes('=') ? arg.slice('--flow='.length) : (argv[i + 1] ?? '') }
}

const main = async (): Promise<void> => {
  const base = configFromEnv({ ...DEMO_DEFAULTS, ...process.env, ...flowOption(process.argv) })
  if (process.argv.includes('--embedded')) {
    rmSync(base.dataDir, { recursive: true, force: true })
    await embedded(base)
  } else await processes(base)
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
