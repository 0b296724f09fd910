import { KafkaTransport } from '@eventfold/kafka'
import { InMemoryTransport } from '@eventfold/messaging'
import type { Transport } from '@eventfold/messaging/spi'
import type { ShopConfig } from './config'

/**
 * The broker between services: Kafka, or the in-memory transport when every
 * service runs in this one process (it passes the same transport contract
 * suite, but reaches nothing outside the process).
 */
export const openTransport = (config: ShopConfig, clientId: string): Transport =>
  config.transport === 'kafka' ? new KafkaTransport(config.kafkaBrokers, { clientId, sessionTimeoutMs: 6_000, fetchMaxWaitMs: 100 }) : new InMemoryTransport()
