import { transportContract } from '@eventfold/messaging/testing'
import { KafkaTransport } from '../index'
import { describeKafka, kafkaBrokers } from '../testing/connect'

describeKafka('Kafka', () => {
  transportContract('KafkaTransport', { replaysHistory: true, compaction: true }, async () => ({
    transport: new KafkaTransport(kafkaBrokers(), { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 }),
  }))
})
