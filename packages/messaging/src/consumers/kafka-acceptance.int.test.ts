import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import type { EventStore } from '@eventfold/core'
import { deadLetterTopic, KafkaTransport } from '@eventfold/kafka'
import { openSqlite, SqliteDocumentStore, SqliteEventStore, sqliteInbox, type SqliteConnection } from '@eventfold/sqlite'
import { encodeEnvelope } from '../envelope/codec'
import type { IntegrationEnvelope } from '../envelope/envelope'
import { ParkedMessages } from '../parked/parked-messages'
import { publish } from '../publishing/publication'
import { definePublications } from '../publishing/publications'
import { Relay } from '../relay/relay'
import { defineConsumer, type ConsumerDefinition } from './consumer-definition'
import { ConsumerWorker, type ConsumerWorkerOptions } from './consumer-worker'

// Issue 12's acceptance on the Kafka broker of `scripts/services` (KAFKA_BROKERS): a broker it cannot reach fails these tests.
jest.setTimeout(180_000)

const REPO_ROOT = resolve(__dirname, '../../../..')
const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim())
const tag = randomBytes(4).toString('hex')
const dir = mkdtempSync(join(tmpdir(), 'eventfold-kafka-acceptance-'))
const transport = new KafkaTransport(brokers, { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 })
const connections: SqliteConnection[] = []

const open = (name: string): SqliteConnection => {
  const connection = openSqlite(join(dir, `${name}.db`), { synchronous: 'normal' })
  connections.push(connection)
  return connection
}

/** A service's log and documents in one SQLite file, as a producer keeps them. */
const producer = (name: string): { eventStore: EventStore; documents: SqliteDocumentStore } => {
  const connection = open(name)
  return { eventStore: new SqliteEventStore(connection), documents: new SqliteDocumentStore(connection) }
}

/** Runs `consumer` on its own SQLite inbox until `done` holds for its counters; returns the connection. */
const consume = async (
  consumer: ConsumerDefinition,
  connection: SqliteConnection,
  done: (p: { eventsApplied: number; parked: number }) => boolean,
  options: ConsumerWorkerOptions = {},
): Promise<void> => {
  const worker: ConsumerWorker = new ConsumerWorker(consumer, transport, sqliteInbox(connection), {
    ...options,
    onProgress: (p) => done(p) && worker.stop(),
  })
  await worker.run()
}

/** Binds `group` to `topic` before anything is published, as a service does when it is deployed. */
const bind = async (group: string, topic: string, partitions: number): Promise<void> => {
  await transport.declare({ name: topic, partitions })
  await (await transport.subscribe({ group, topics: [topic] })).close()
}

afterAll(async () => {
  await transport.close()
  // The shared broker keeps no topic of this file: the relay's, the poison test's and its dead letters.
  const { dropTopic } = require('../test-support/kafka-transport.cjs') as { dropTopic(topic: string): Promise<void> }
  for (const topic of [`accounts-${tag}`, `orders-${tag}`, `customers-${tag}`, deadLetterTopic(`orders-${tag}`, `orders-taker-${tag}`)]) await dropTopic(topic)
  for (const c of connections) await c.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('Kafka acceptance', () => {
  it('builds, in a new consumer group replaying the whole history, the read model a live consumer built', async () => {
    const topic = `accounts-${tag}`
    const { eventStore, documents } = producer('accounts')
    const publications = definePublications({
      source: 'accounts',
      publications: [publish<{ amount: number }>('Deposited', { type: 'Deposited.v1', topic, map: (e) => ({ account: e.streamId, amount: e.data.amount }) })],
      topics: [{ name: topic, partitions: 3 }],
    })
    const ledger = (group: string) =>
      defineConsumer(group, {
        topics: [topic],
        collection: 'balances',
        handlers: {
          'Deposited.v1': (e: IntegrationEnvelope<{ account: string; amount: number }>, { documents: balances }) =>
            balances.upsert(e.data.account, { $inc: { balance: e.data.amount, deposits: 1 }, $set: { last: String(e.revision) } }),
        },
      })
    const accounts = 40
    const perAccount = 20
    const total = accounts * perAccount
    const live = ledger(`ledger-live-${tag}`)
    await bind(live.name, topic, 3)
    // The live consumer follows while the relay publishes, in two rounds of appends.
    const following = consume(live, open('ledger-live'), (p) => p.eventsApplied >= total)
    const appendsPerRound = perAccount / 5 / 2
    for (const round of [0, 1]) {
      for (let i = round * appendsPerRound; i < (round + 1) * appendsPerRound; i++) {
        for (let a = 0; a < accounts; a++) {
          await eventStore.appendToStream(`Account-${a}`, Array.from({ length: 5 }, (_, k) => ({ type: 'Deposited', data: { amount: a + i * 5 + k } })))
        }
      }
      await new Relay({ eventStore, documents, transport, publications, stopAtHead: true }).run()
    }
    await following
    // A service deployed later: a group that never read the topic starts from its earliest offset.
    const replayed = ledger(`ledger-replay-${tag}`)
    await consume(replayed, open('ledger-replay'), (p) => p.eventsApplied >= total)
    const read = (name: string) => new SqliteDocumentStore(connections.find((c) => c.path.endsWith(`${name}.db`))!).find('balances', {}, { sort: { _id: 1 } })
    const liveModel = await read('ledger-live')
    expect(liveModel).toHaveLength(accounts)
    expect(liveModel.reduce((n, d) => n + Number(d.deposits), 0)).toBe(total)
    expect(await read('ledger-replay')).toEqual(liveModel)
  })

  describe('a poison message', () => {
    const topic = `orders-${tag}`
    const group = `orders-taker-${tag}`
    const module = join(__dirname, '../test-support/poison-consumer.cjs')
    const { poisonConsumer } = require(module) as { poisonConsumer(group: string, topic: string): ConsumerDefinition }
    const orders = 30
    const order = (n: number): IntegrationEnvelope => ({
      id: `order-${tag}-${n}`,
      type: 'OrderPlaced.v1',
      source: 'orders',
      // Three keys: order 7 shares its key, and so its partition, with 9 others.
      streamId: `Order-${n % 3}`,
      revision: BigInt(Math.floor(n / 3)),
      position: BigInt(n + 1),
      occurredAt: new Date().toISOString(),
      payload: 'full',
      data: { n },
    })
    let connection: SqliteConnection
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
        execFile(process.execPath, [join(REPO_ROOT, 'packages/cli/dist/bin.js'), ...args], { cwd: dir, env: { ...process.env, EF_POISON_ORDERS: '' } }, (error, stdout, stderr) =>
          done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        )
      })

    beforeAll(() => {
      // The CLI child runs the built packages.
      const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc')
      execFileSync(process.execPath, [tsc, '-b', 'packages/cli', 'packages/messaging', 'packages/adapters/sqlite'], { cwd: REPO_ROOT, stdio: 'pipe' })
      connection = open('orders-taker')
      writeFileSync(
        join(dir, 'eventfold.config.js'),
        `const { defineConfig, connectSqlite } = require(${JSON.stringify(join(REPO_ROOT, 'packages/cli/dist/index.js'))})
const { poisonConsumer } = require(${JSON.stringify(module)})
module.exports = defineConfig({
  connect: () => connectSqlite(${JSON.stringify(join(dir, 'orders-taker.db'))}),
  projections: [],
  consumers: [poisonConsumer(${JSON.stringify(group)}, ${JSON.stringify(topic)})],
})
`,
      )
    }, 120_000)

    it('is parked after its attempts while the rest of its partition flows, and `eventfold parked retry` applies it once', async () => {
      await bind(group, topic, 2)
      await transport.publish(topic, Array.from({ length: orders }, (_, n) => encodeEnvelope(order(n))))
      process.env.EF_POISON_ORDERS = '7'
      try {
        await consume(poisonConsumer(group, topic), connection, (p) => p.eventsApplied + p.parked >= orders, {
          maxAttempts: 3,
          retry: { initialDelayMs: 5, maxDelayMs: 20 },
        })
      } finally {
        delete process.env.EF_POISON_ORDERS
      }
      const documents = new SqliteDocumentStore(connection)
      expect(await new ParkedMessages(documents).list()).toMatchObject([
        { consumer: group, id: `order-${tag}-7`, topic, key: 'Order-1', attempts: 3, error: { message: 'cannot take order 7' } },
      ])
      // Handed to the group's dead-letter topic as well, with the reason.
      const deadLetters = await transport.subscribe({ group: `dead-letter-reader-${tag}`, topics: [deadLetterTopic(topic, group)] })
      const [dead] = await deadLetters.read(1, 50, new Promise<void>(() => {}))
      await deadLetters.close()
      expect(dead).toMatchObject({ id: `order-${tag}-7`, key: 'Order-1' })
      const taken = await documents.find('orders', {}, { sort: { _id: 1 } })
      // Every other order, those after 7 on its key included, was taken once.
      expect(taken.map((d) => Number(d._id)).sort((a, b) => a - b)).toEqual(Array.from({ length: orders }, (_, n) => n).filter((n) => n !== 7))
      expect(taken.every((d) => d.taken === 1)).toBe(true)
      expect(taken.filter((d) => d.key === 'Order-1').map((d) => Number(d._id)).filter((n) => n > 7)).toEqual([10, 13, 16, 19, 22, 25, 28])

      const retried = await cli(['parked', 'retry', `order-${tag}-7`, '--json'])
      expect(retried).toMatchObject({ code: 0, stderr: '' })
      expect(JSON.parse(retried.stdout)).toMatchObject({ consumer: group, id: `order-${tag}-7`, retried: true })
      expect(await documents.get('orders', '7')).toMatchObject({ taken: 1, key: 'Order-1' })
      const again = await cli(['parked', 'retry', `order-${tag}-7`])
      expect(again.code).toBe(2)
      expect(again.stderr).toContain(`no parked message with id 'order-${tag}-7'`)
      expect(await documents.get('orders', '7')).toMatchObject({ taken: 1 })
      expect(await new ParkedMessages(documents).list()).toEqual([])
    })
  })

  it('carries identifiers only with zero-payload, and fetch() reads the producer as it is now', async () => {
    const topic = `customers-${tag}`
    const { eventStore, documents } = producer('customers')
    const publications = definePublications({
      source: 'customers',
      publications: [
        publish<{ customerId: string; email: string }>('EmailChanged', {
          type: 'EmailChanged.v1',
          topic,
          payload: 'reference',
          map: (e) => ({ customerId: e.data.customerId }),
        }),
      ],
      topics: [{ name: topic, partitions: 1 }],
    })
    const group = `mailer-${tag}`
    await bind(group, topic, 1)
    await eventStore.appendToStream('Customer-c1', [{ type: 'EmailChanged', data: { customerId: 'c1', email: 'ada@old.example' } }])
    await new Relay({ eventStore, documents, transport, publications, stopAtHead: true }).run()
    // Changed after publishing, by an event the service does not publish: only a fetch can see it.
    await eventStore.appendToStream('Customer-c1', [{ type: 'EmailCorrected', data: { email: 'ada@new.example' } }])
    /** The producer's API: the customer's current email, folded from its stream. */
    const currentCustomer = async (customerId: string): Promise<{ email: string }> => {
      let email = ''
      for await (const e of eventStore.readStream(`Customer-${customerId}`)) email = (e.data as { email: string }).email
      return { email }
    }
    const mailer = defineConsumer(group, {
      topics: [topic],
      collection: 'mails',
      handlers: {
        'EmailChanged.v1': async (e: IntegrationEnvelope<{ customerId: string }>, { documents: mails, fetch }) => {
          const customer = (await fetch()) as { email: string }
          mails.upsert(e.data.customerId, { $set: { received: e.data, payload: e.payload, to: customer.email } })
        },
      },
    })
    const connection = open('mailer')
    await consume(mailer, connection, (p) => p.eventsApplied >= 1, {
      fetchers: { 'EmailChanged.v1': (e: IntegrationEnvelope<{ customerId: string }>) => currentCustomer(e.data.customerId) },
    })
    expect(await new SqliteDocumentStore(connection).get('mails', 'c1')).toEqual({
      _id: 'c1',
      received: { customerId: 'c1' },
      payload: 'reference',
      to: 'ada@new.example',
    })
  })
})
