import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Admin } from '@platformatic/kafka'
import amqp from 'amqplib'
import { ConsumerWorker, defineConsumer, definePublications, publish, Relay, type IntegrationEnvelope } from '@eventfold/messaging'
import type { Transport, TransportMessage } from '@eventfold/messaging/spi'
import { KafkaTransport } from '@eventfold/kafka'
import { RabbitMQTransport } from '@eventfold/rabbitmq'
import { openSqlite, SqliteDocumentStore, SqliteEventStore, sqliteInbox } from '@eventfold/sqlite'
import { createBenchTopic, rawKafkaPublishBatches, type Throughput } from './kafka-raw'
import { createRabbitBenchTopology, rawRabbitPublish } from './rabbitmq-raw'

export const MESSAGING_USAGE = `Usage: node bench/dist/bench.js --messaging [options]

M1: relay throughput, a SQLite log to the broker (events/s), beside the raw
client publishing the relay's own batches (same records, same boundaries).
M2: end-to-end latency, append to the consumer's handler committed through
its SQLite inbox, p50/p99 at a fixed offered rate. On Kafka (KAFKA_BROKERS)
and RabbitMQ (RABBITMQ_URL). Reports the median of the runs.

  --only M1,M2                 (default: both)
  --brokers kafka,rabbitmq     (default: both)
  --runs N                     (default: 3)
  --m1-events N                events in the log the relay publishes (default: 50000)
  --m1-batch N                 relay batch size, and so the raw batches (default: 500)
  --m2-rate N                  events per second offered (default: 500)
  --m2-seconds N               seconds of offered load (default: 20)
  --json                       print the results as JSON`

type Broker = 'kafka' | 'rabbitmq'

interface MessagingPlan {
  readonly m1: boolean
  readonly m2: boolean
  readonly brokers: readonly Broker[]
  readonly runs: number
  readonly m1Events: number
  readonly m1Batch: number
  readonly m2Rate: number
  readonly m2Seconds: number
  readonly json: boolean
}

const PARTITIONS = 3
const kafkaBrokers = (): string[] => (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim())
const rabbitUrl = (): string => process.env.RABBITMQ_URL || 'amqp://eventfold:eventfold@127.0.0.1:5672'
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const percentile = (xs: readonly number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
const fresh = (label: string): string => `eventfold-bench-${label}-${randomBytes(4).toString('hex')}`

const openTransport = (broker: Broker): Transport =>
  broker === 'kafka' ? new KafkaTransport(kafkaBrokers(), { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 }) : new RabbitMQTransport(rabbitUrl())

/** Deletes what a run declared on the broker: the topic, and the group's queues on RabbitMQ. */
const dropTopic = async (broker: Broker, topic: string, groups: readonly string[]): Promise<void> => {
  if (broker === 'kafka') {
    const admin = new Admin({ clientId: 'eventfold-bench', bootstrapBrokers: kafkaBrokers() })
    await admin.deleteTopics({ topics: [topic] })
    await admin.close()
    return
  }
  const connection = await amqp.connect(rabbitUrl())
  const channel = await connection.createChannel()
  for (const group of groups) {
    for (let p = 0; p < PARTITIONS; p++) await channel.deleteQueue(`${group}.${topic}.${p}`)
    for (const queue of [`${group}.parked`, `${group}.members`]) await channel.deleteQueue(queue)
    await channel.deleteExchange(`${group}.dead-letter`)
  }
  await channel.deleteQueue(`eventfold.topic.${topic}`)
  await channel.deleteExchange(topic)
  await connection.close()
}

/** Joins and leaves `group`, so that its queues exist before the publish (RabbitMQ routes nothing to a group that never joined). */
const bind = async (transport: Transport, group: string, topic: string): Promise<void> => {
  await transport.declare({ name: topic, partitions: PARTITIONS })
  await (await transport.subscribe({ group, topics: [topic] })).close()
}

const publicationsOf = (topic: string) =>
  definePublications({
    source: 'bank',
    publications: [publish<{ amount: number }>('Deposited', { type: 'Deposited.v1', topic, map: (e) => ({ account: e.streamId, amount: e.data.amount }) })],
    topics: [{ name: topic, partitions: PARTITIONS }],
  })

export interface M1Run {
  readonly relay: Throughput
  readonly raw: Throughput
}

/** M1, one run: the relay publishes a log of `events` from its start to its head; then the raw client sends the same batches. */
const m1Run = async (broker: Broker, dir: string, events: number, batch: number): Promise<M1Run> => {
  const file = join(dir, `m1-${randomBytes(4).toString('hex')}.db`)
  const connection = openSqlite(file, { synchronous: 'normal' })
  const eventStore = new SqliteEventStore(connection)
  const documents = new SqliteDocumentStore(connection)
  for (let n = 0, a = 0; n < events; a++) {
    const count = Math.min(10, events - n)
    await eventStore.appendToStream(`Account-${a % 1000}`, Array.from({ length: count }, (_, i) => ({ type: 'Deposited', data: { amount: n + i } })))
    n += count
  }
  const topic = fresh('m1')
  const group = fresh('m1-reader')
  const transport = openTransport(broker)
  const batches: TransportMessage[][] = []
  // The relay's own batches, kept for the raw client: recording a reference costs nothing measurable.
  const recording: Transport = {
    name: transport.name,
    declare: (spec) => transport.declare(spec),
    publish: (t, messages) => {
      batches.push([...messages])
      return transport.publish(t, messages)
    },
    subscribe: (options) => transport.subscribe(options),
    lag: (g, topics) => transport.lag(g, topics),
    close: () => transport.close(),
  }
  try {
    await bind(transport, group, topic)
    const started = process.hrtime.bigint()
    const [progress] = await new Relay({ eventStore, documents, transport: recording, publications: publicationsOf(topic), stopAtHead: true, batchSize: batch }).run()
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    if (progress?.published !== events) throw new Error(`the relay published ${progress?.published} of ${events} events`)
    const relay = { records: events, seconds, perSecond: events / seconds }
    let raw: Throughput
    if (broker === 'kafka') {
      const bench = await createBenchTopic(kafkaBrokers(), PARTITIONS)
      try {
        raw = await rawKafkaPublishBatches(kafkaBrokers(), bench.topic, batches)
      } finally {
        await bench.drop()
      }
    } else {
      const bench = await createRabbitBenchTopology(rabbitUrl(), PARTITIONS)
      try {
        raw = await rawRabbitPublish(rabbitUrl(), bench.exchange, PARTITIONS, batches)
      } finally {
        await bench.drop()
      }
    }
    return { relay, raw }
  } finally {
    await transport.close()
    await dropTopic(broker, topic, [group])
    await connection.close()
    rmSync(file, { force: true })
  }
}

export interface M2Run {
  readonly events: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/**
 * M2, one run, in one process: events appended one per append at `rate`
 * for `seconds`; a relay follows the log; a consumer applies each through
 * its SQLite inbox. Latency is from just before the append to the consumer's
 * commit of the batch that holds the event.
 */
const m2Run = async (broker: Broker, dir: string, rate: number, seconds: number): Promise<M2Run> => {
  const id = randomBytes(4).toString('hex')
  const producer = openSqlite(join(dir, `m2-producer-${id}.db`), { synchronous: 'normal' })
  const consumerDb = openSqlite(join(dir, `m2-consumer-${id}.db`), { synchronous: 'normal' })
  // The relay follows the log by polling; 20 ms is its delay floor here.
  const eventStore = new SqliteEventStore(producer, { pollIntervalMs: 20 })
  const documents = new SqliteDocumentStore(producer)
  const topic = fresh('m2')
  const group = fresh('m2-consumer')
  const transport = openTransport(broker)
  const startedAt = new Map<number, number>()
  const latencies: number[] = []
  let pending: number[] = []
  let committed = 0
  let wake: (() => void) | undefined
  const consumer = defineConsumer(group, {
    topics: [topic],
    collection: 'balances',
    handlers: {
      'Deposited.v1': (e: IntegrationEnvelope<{ account: string; amount: number }>, { documents: balances }) => {
        balances.upsert(e.data.account, { $inc: { balance: e.data.amount } })
        pending.push(e.data.amount)
      },
    },
  })
  try {
    await bind(transport, group, topic)
    const relay = new Relay({ eventStore, documents, transport, publications: publicationsOf(topic), tickMs: 20 })
    const worker: ConsumerWorker = new ConsumerWorker(consumer, transport, sqliteInbox(consumerDb), {
      onProgress: () => {
        const now = performance.now()
        for (const n of pending) {
          const at = startedAt.get(n)
          // n < 0: the warm-up event; a batch handled again after a failed commit is counted once.
          if (at !== undefined) latencies.push(now - at)
          startedAt.delete(n)
        }
        committed += pending.length
        pending = []
        wake?.()
      },
    })
    const relaying = relay.run()
    const consuming = worker.run()
    const until = async (done: () => boolean): Promise<void> => {
      while (!done()) await new Promise<void>((resolve) => (wake = resolve))
    }
    // Warm up: one event through the whole path, so a group's first join is not measured.
    await eventStore.appendToStream('Account-warmup', [{ type: 'Deposited', data: { amount: -1 } }])
    await until(() => committed >= 1)
    const total = rate * seconds
    const start = performance.now()
    for (let sent = 0; sent < total; ) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate))
      for (; sent < due; sent++) {
        startedAt.set(sent, performance.now())
        await eventStore.appendToStream(`Account-${sent % 1000}`, [{ type: 'Deposited', data: { amount: sent } }])
      }
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await until(() => latencies.length >= total)
    relay.stop()
    worker.stop()
    await Promise.all([relaying, consuming])
    return { events: total, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) }
  } finally {
    await transport.close()
    await dropTopic(broker, topic, [group])
    await producer.close()
    await consumerDb.close()
  }
}

const parseMessagingPlan = (argv: readonly string[]): MessagingPlan | 'help' => {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--messaging'),
    strict: true,
    options: {
      only: { type: 'string', default: 'M1,M2' },
      brokers: { type: 'string', default: 'kafka,rabbitmq' },
      runs: { type: 'string', default: '3' },
      'm1-events': { type: 'string', default: '50000' },
      'm1-batch': { type: 'string', default: '500' },
      'm2-rate': { type: 'string', default: '500' },
      'm2-seconds': { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) return 'help'
  const positive = (name: string, value: string): number => {
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not '${value}'`)
    return n
  }
  const only = values.only.split(',').map((w) => w.trim().toUpperCase())
  for (const w of only) if (w !== 'M1' && w !== 'M2') throw new Error(`--only takes M1,M2 with --messaging, not '${w}'`)
  const brokers = values.brokers.split(',').map((b) => b.trim().toLowerCase())
  for (const b of brokers) if (b !== 'kafka' && b !== 'rabbitmq') throw new Error(`--brokers takes kafka,rabbitmq, not '${b}'`)
  return {
    m1: only.includes('M1'),
    m2: only.includes('M2'),
    brokers: brokers as Broker[],
    runs: positive('runs', values.runs),
    m1Events: positive('m1-events', values['m1-events']),
    m1Batch: positive('m1-batch', values['m1-batch']),
    m2Rate: positive('m2-rate', values['m2-rate']),
    m2Seconds: positive('m2-seconds', values['m2-seconds']),
    json: values.json,
  }
}

/** `npm run bench -- --messaging`: M1 and M2, the median of the runs; returns the exit code. */
export const runMessagingBench = async (argv: readonly string[]): Promise<number> => {
  let plan: MessagingPlan | 'help'
  try {
    plan = parseMessagingPlan(argv)
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${MESSAGING_USAGE}\n`)
    return 2
  }
  if (plan === 'help') {
    process.stdout.write(`${MESSAGING_USAGE}\n`)
    return 0
  }
  const dir = mkdtempSync(join(process.env.TMPDIR || '/tmp', 'eventfold-bench-messaging-'))
  const results: Record<string, unknown> = { cpus: cpus().length, loadBefore: loadavg() }
  const say = (line: string): void => {
    if (!plan.json) process.stdout.write(`${line}\n`)
    else process.stderr.write(`${line}\n`)
  }
  try {
    for (const broker of plan.brokers) {
      if (plan.m1) {
        const runs: M1Run[] = []
        for (let r = 0; r < plan.runs; r++) {
          const run = await m1Run(broker, dir, plan.m1Events, plan.m1Batch)
          runs.push(run)
          say(`M1 ${broker} run ${r + 1}: relay ${run.relay.perSecond.toFixed(0)} events/s, raw ${run.raw.perSecond.toFixed(0)} records/s, ratio ${(run.relay.perSecond / run.raw.perSecond).toFixed(2)}`)
        }
        const relay = median(runs.map((r) => r.relay.perSecond))
        const raw = median(runs.map((r) => r.raw.perSecond))
        const ratio = median(runs.map((r) => r.relay.perSecond / r.raw.perSecond))
        results[`M1-${broker}`] = { relay, raw, ratio, events: plan.m1Events, batch: plan.m1Batch, runs }
        say(`M1 ${broker} median of ${plan.runs}: relay ${relay.toFixed(0)} events/s, raw ${raw.toFixed(0)} records/s, ratio ${ratio.toFixed(2)} (target >= 0.70)`)
      }
      if (plan.m2) {
        const runs: M2Run[] = []
        for (let r = 0; r < plan.runs; r++) {
          const run = await m2Run(broker, dir, plan.m2Rate, plan.m2Seconds)
          runs.push(run)
          say(`M2 ${broker} run ${r + 1}: p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, max ${run.max.toFixed(1)} ms (${run.events} events at ${plan.m2Rate}/s)`)
        }
        const p50 = median(runs.map((r) => r.p50))
        const p99 = median(runs.map((r) => r.p99))
        results[`M2-${broker}`] = { p50, p99, rate: plan.m2Rate, seconds: plan.m2Seconds, runs }
        say(`M2 ${broker} median of ${plan.runs}: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`)
      }
    }
    results.loadAfter = loadavg()
    say(`load average before ${(results.loadBefore as number[]).map((l) => l.toFixed(2)).join(' ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} CPUs)`)
    if (plan.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
    return 0
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
