import { execFileSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { beforeAll } from '@jest/globals'
import { consumerCrashSuite } from '../testing/consumer-crash-suite'

const REPO_ROOT = resolve(__dirname, '../../../..')
const SUPPORT = join(__dirname, '../test-support')

// The child consumers run the built packages.
beforeAll(() => {
  const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-b', 'packages/messaging', 'packages/adapters/sqlite', 'packages/adapters/kafka', 'packages/adapters/rabbitmq'], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  })
}, 120_000)

// On the real brokers, with the SQLite inbox (its log and documents in one transaction).
consumerCrashSuite('Kafka, SQLite inbox', { transportModule: join(SUPPORT, 'kafka-transport.cjs'), inboxModule: join(SUPPORT, 'sqlite-crash-inbox.cjs') })
consumerCrashSuite('RabbitMQ, SQLite inbox', { transportModule: join(SUPPORT, 'rabbitmq-transport.cjs'), inboxModule: join(SUPPORT, 'sqlite-crash-inbox.cjs') })
