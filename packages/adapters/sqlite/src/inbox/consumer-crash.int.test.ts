import { beforeAll } from '@jest/globals'
import { consumerCrashSuite } from '@eventfold/messaging/testing'
import { join } from 'node:path'
import { buildPackage } from '../test-support/writer-process'
import { tempDir } from '../test-support/temp-dir'

// No broker here: a consumer group in an SQLite file stands in for one, so the suite runs in every environment.
// The Kafka and RabbitMQ transports run the same suite against their brokers.
const broker = tempDir()
process.env.EF_FILE_BROKER = join(broker.path, 'broker.db')

beforeAll(() => buildPackage(), 120_000)
afterAll(() => broker.remove())

consumerCrashSuite('SQLite inbox, file transport', {
  transportModule: require.resolve('../test-support/file-transport.cjs'),
  inboxModule: require.resolve('../test-support/crash-inbox.cjs'),
})
