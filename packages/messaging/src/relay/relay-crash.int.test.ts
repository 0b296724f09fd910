import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { openSqlite, sqliteInbox } from '@eventfold/sqlite'
import { consumeThroughInbox, runRelayCrash } from '../test-support/relay-crash'
import type { Transport } from '../transport/transport'

// Each broker's transport, as the child relays open it (a broker it cannot reach fails the test).
const brokers = [
  ['Kafka', join(__dirname, '../test-support/kafka-transport.cjs')],
  ['RabbitMQ', join(__dirname, '../test-support/rabbitmq-transport.cjs')],
] as const

describe.each(brokers)('the relay crash test on %s', (name, transportModule) => {
  it('publishes every event of the log through 5 SIGKILLs of the relay, and the inbox applies each once', async () => {
    const tag = randomBytes(4).toString('hex')
    const topic = `relay-crash-${tag}`
    const dir = mkdtempSync(join(tmpdir(), 'eventfold-relay-crash-consumer-'))
    const connection = openSqlite(join(dir, 'consumer.db'), { synchronous: 'normal' })
    const broker = require(transportModule) as { openTransport(): Promise<Transport>; dropTopic(topic: string, groups: string[], partitions: number): Promise<void> }
    const transport = await broker.openTransport()
    const group = `billing-${tag}`
    try {
      const consume = await consumeThroughInbox({ transport, topic, partitions: 2, group, inbox: sqliteInbox(connection) })
      const result = await runRelayCrash({ transportModule, topic, consume, partitions: 2 })
      process.stdout.write(`relay crash on ${name}: ${JSON.stringify(result)}; the transport delivered ${result.duplicates} duplicates\n`)
      expect(result).toMatchObject({ events: 50_000, kills: 5, effects: 50_000 })
      expect(result.duplicates).toBeGreaterThan(0)
    } finally {
      await transport.close()
      await broker.dropTopic(topic, [group], 2)
      await connection.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 600_000)
})
