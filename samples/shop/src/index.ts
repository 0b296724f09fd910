// The shop sample's pieces, for the benchmark and anyone reading how it is built.
export { runE1, type E1Options, type E1Result, type E1Transport } from './bench/e1'
export { startEmbeddedShop, INITIAL_STOCK, type EmbeddedShop } from './runtime/shop'
export { ShopCluster } from './runtime/cluster'
export { configFromEnv, type ShopConfig } from './runtime/config'
export { auditShop, type ShopAudit, type ShopLogs } from './scenario/audit'
export { detectFraud, assessAttempt, type FraudRules, type FraudAlert } from './payment/fraud'
export { TokenBuckets } from './gateway/rate-limit'
