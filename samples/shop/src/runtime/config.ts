import { resolve } from 'node:path'
import { ShopConfigError } from '../errors'
import type { FraudRules } from '../payment/fraud'

/** The shop's services, each its own process with its own database. */
export const SERVICES = ['order', 'inventory', 'payment', 'shipping', 'gateway'] as const
/** One of {@link SERVICES}. */
export type ServiceName = (typeof SERVICES)[number]

/** How a shop process runs; {@link configFromEnv} reads it from the environment. */
export interface ShopConfig {
  /** `kafka` between processes; `memory` only when every service runs in one process. */
  readonly transport: 'kafka' | 'memory'
  readonly kafkaBrokers: readonly string[]
  /** `sqlite`: one file per service in `dataDir`; `postgres`: one schema per service. */
  readonly store: 'sqlite' | 'postgres'
  readonly dataDir: string
  readonly postgresUrl: string
  /** Schemas are `<prefix><service>`. */
  readonly schemaPrefix: string
  /** The order-status read model's MongoDB; unset, it lives in the order service's own store. */
  readonly mongoUrl: string | undefined
  readonly mongoDb: string
  /** Prefix of topic and consumer group names, so runs on one broker stay apart. */
  readonly namePrefix: string
  readonly gatewayPort: number
  readonly orderPort: number
  /** An order whose stock is reserved and not paid within this is cancelled. */
  readonly paymentTimeoutMs: number
  /** A reservation not allocated within this goes back on the shelf. */
  readonly reservationTtlMs: number
  readonly fraud: FraudRules
  /** Token bucket per client key at the gateway. */
  readonly rateLimit: { readonly capacity: number; readonly refillPerSecond: number }
  /** Largest request body the gateway accepts, in bytes. */
  readonly bodyLimit: number
  /** Who drives an order: `choreography` (services react to each other's events) or `saga` (the order service's `OrderSaga`). */
  readonly flow: 'choreography' | 'saga'
  /** Initial stock per SKU the inventory seeds (SKUs it has already keep theirs); unset, the demo's. */
  readonly stock: Readonly<Record<string, number>> | undefined
}

const stockOf = (value: string | undefined): Record<string, number> | undefined => {
  if (value === undefined || value === '') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    parsed = undefined
  }
  const valid =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((n) => Number.isSafeInteger(n) && (n as number) >= 0)
  if (!valid) throw new ShopConfigError('SHOP_STOCK', value, 'a JSON object of SKU to a whole number ≥ 0, e.g. {"ipad-air-11":10}')
  return parsed as Record<string, number>
}

const int = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) throw new ShopConfigError(name, value, 'a number ≥ 0')
  return n
}

/**
 * Reads the configuration from `SHOP_*` variables, `EVENTFOLD_STORE`,
 * `POSTGRES_URL`, `MONGODB_URL` and `KAFKA_BROKERS` (as `scripts/services env` sets them).
 * @throws {@link ShopConfigError} for a value that cannot be used.
 */
export const configFromEnv = (env: NodeJS.ProcessEnv = process.env): ShopConfig => {
  const transport = env.SHOP_TRANSPORT ?? 'kafka'
  if (transport !== 'kafka' && transport !== 'memory') throw new ShopConfigError('SHOP_TRANSPORT', transport, "'kafka' or 'memory'")
  const store = env.EVENTFOLD_STORE ?? 'sqlite'
  if (store !== 'sqlite' && store !== 'postgres') throw new ShopConfigError('EVENTFOLD_STORE', store, "'sqlite' or 'postgres'")
  const flow = env.SHOP_FLOW ?? 'choreography'
  if (flow !== 'choreography' && flow !== 'saga') throw new ShopConfigError('SHOP_FLOW', flow, "'choreography' or 'saga'")
  const rateLimit = { capacity: int(env.SHOP_RATE_CAPACITY, 20, 'SHOP_RATE_CAPACITY'), refillPerSecond: int(env.SHOP_RATE_REFILL, 10, 'SHOP_RATE_REFILL') }
  if (rateLimit.capacity < 1) throw new ShopConfigError('SHOP_RATE_CAPACITY', String(env.SHOP_RATE_CAPACITY), 'a number ≥ 1')
  if (rateLimit.refillPerSecond <= 0) throw new ShopConfigError('SHOP_RATE_REFILL', String(env.SHOP_RATE_REFILL), 'a number > 0')
  return {
    transport,
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    store,
    dataDir: resolve(env.SHOP_DATA_DIR ?? 'shop-data'),
    postgresUrl: env.POSTGRES_URL || 'postgres://eventfold:eventfold@127.0.0.1:5432/eventfold',
    schemaPrefix: env.SHOP_SCHEMA_PREFIX ?? 'shop_',
    mongoUrl: env.MONGODB_URL || undefined,
    mongoDb: env.SHOP_MONGO_DB ?? 'shop',
    namePrefix: env.SHOP_NAME_PREFIX ?? '',
    gatewayPort: int(env.SHOP_GATEWAY_PORT, 3000, 'SHOP_GATEWAY_PORT'),
    orderPort: int(env.SHOP_ORDER_PORT, 3001, 'SHOP_ORDER_PORT'),
    paymentTimeoutMs: int(env.SHOP_PAYMENT_TIMEOUT_MS, 120_000, 'SHOP_PAYMENT_TIMEOUT_MS'),
    reservationTtlMs: int(env.SHOP_RESERVATION_TTL_MS, 300_000, 'SHOP_RESERVATION_TTL_MS'),
    fraud: {},
    rateLimit,
    bodyLimit: int(env.SHOP_BODY_LIMIT, 16 * 1024, 'SHOP_BODY_LIMIT'),
    stock: stockOf(env.SHOP_STOCK),
    flow,
  }
}
