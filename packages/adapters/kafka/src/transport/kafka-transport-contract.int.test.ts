import { jest } from '@jest/globals'
import { transportContract } from '@eventfold/messaging/testing'
import { KafkaTransport } from '../index'
import { describeKafka, kafkaBrokers } from '../testing/connect'

// A group's first join and a rebalance take seconds on a loaded machine: more room than jest's default.
jest.setTimeout(90_000)

describeKafka('Kafka', () => {
  transportContract(
    'KafkaTransport',
    { replaysHistory: true, compaction: true },
    async () => ({ transport: new KafkaTransport(kafkaBrokers(), { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 }) }),
    { deadlineMs: 60_000 },
  )
})
