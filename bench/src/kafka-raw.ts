import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { Admin, Consumer, ProduceAcks, Producer } from '@platformatic/kafka'
import type { TransportMessage } from '@eventfold/messaging/spi'

/** Options of {@link rawKafkaPublish}. */
export interface RawKafkaPublishOptions {
  readonly brokers: readonly string[]
  /** A topic that exists; {@link createBenchTopic} makes one. */
  readonly topic: string
  readonly records: number
  /** Records per send: the batch the relay would publish in one call. */
  readonly batch: number
  /** Bytes of each record's value. @default 256 */
  readonly valueBytes?: number
  /** Distinct keys, as stream ids. @default 1000 */
  readonly keys?: number
}

/** Records per second over a run, and the run's length. */
export interface Throughput {
  readonly records: number
  readonly seconds: number
  readonly perSecond: number
}

/** A topic for one run: `partitions` partitions, deleted by the returned function. */
export const createBenchTopic = async (brokers: readonly string[], partitions = 3): Promise<{ topic: string; drop: () => Promise<void> }> => {
  const admin = new Admin({ clientId: 'eventfold-bench', bootstrapBrokers: [...brokers] })
  const topic = `eventfold-bench-${randomBytes(4).toString('hex')}`
  await admin.createTopics({ topics: [topic], partitions, replicas: 1 })
  // The broker lists a new topic a moment after it was created; a send before that waits without end.
  while (!(await admin.listTopics()).includes(topic)) await new Promise((resolve) => setTimeout(resolve, 50))
  return {
    topic,
    drop: async () => {
      await admin.deleteTopics({ topics: [topic] })
      await admin.close()
    },
  }
}

/**
 * The raw producer's limit: N records in sends of B with the client the
 * Kafka transport uses, idempotent with acks=all, keyed like the relay keys
 * integration events (by stream id), each send awaited before the next as a
 * relay awaits its publish before it checkpoints.
 */
export const rawKafkaPublish = async ({ brokers, topic, records, batch, valueBytes = 256, keys = 1000 }: RawKafkaPublishOptions): Promise<Throughput> => {
  const producer = new Producer({ clientId: 'eventfold-bench', bootstrapBrokers: [...brokers], idempotent: true, acks: ProduceAcks.ALL })
  const value = Buffer.alloc(valueBytes, 0x61)
  const headers = new Map([
    [Buffer.from('ef-id'), Buffer.from('00000000-0000-4000-8000-000000000000')],
    [Buffer.from('ef-type'), Buffer.from('Deposited')],
  ])
  try {
    const started = process.hrtime.bigint()
    for (let sent = 0; sent < records; sent += batch) {
      const n = Math.min(batch, records - sent)
      await producer.send({
        messages: Array.from({ length: n }, (_, i) => ({ topic, key: Buffer.from(`Account-${(sent + i) % keys}`), value, headers })),
      })
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    return { records, seconds, perSecond: records / seconds }
  } finally {
    await producer.close()
  }
}

/**
 * The raw producer's limit for M1: the relay's own batches (same records,
 * same boundaries) sent with the client the Kafka transport uses,
 * idempotent with acks=all, each send awaited before the next.
 */
export const rawKafkaPublishBatches = async (brokers: readonly string[], topic: string, batches: readonly (readonly TransportMessage[])[]): Promise<Throughput> => {
  const producer = new Producer({ clientId: 'eventfold-bench', bootstrapBrokers: [...brokers], idempotent: true, acks: ProduceAcks.ALL })
  try {
    let records = 0
    const started = process.hrtime.bigint()
    for (const batch of batches) {
      await producer.send({
        messages: batch.map((m) => ({
          topic,
          key: Buffer.from(m.key),
          value: m.value === null ? undefined : Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
          headers: new Map([[Buffer.from('ef-id'), Buffer.from(m.id)], ...Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as [Buffer, Buffer])]),
        })),
      })
      records += batch.length
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    return { records, seconds, perSecond: records / seconds }
  } finally {
    await producer.close()
  }
}

/** A consume loop's rate: a new group reads `records` records of `topic` from the earliest offset. */
export const rawKafkaConsume = async (brokers: readonly string[], topic: string, records: number): Promise<Throughput> => {
  const consumer = new Consumer({ clientId: 'eventfold-bench', groupId: `eventfold-bench-${randomBytes(4).toString('hex')}`, bootstrapBrokers: [...brokers] })
  try {
    const started = process.hrtime.bigint()
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false })
    let seen = 0
    for await (const _message of stream) {
      if (++seen >= records) break
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    await stream.close()
    return { records, seconds, perSecond: records / seconds }
  } finally {
    await consumer.close(true)
  }
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

// node bench/dist/kafka-raw.js [--records 20000] [--batch 100] [--runs 3]  (KAFKA_BROKERS, default 127.0.0.1:9092)
if (require.main === module) {
  const { values } = parseArgs({
    options: { records: { type: 'string', default: '20000' }, batch: { type: 'string', default: '100' }, runs: { type: 'string', default: '3' } },
  })
  const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',')
  const records = Number(values.records)
  const batch = Number(values.batch)
  const main = async (): Promise<void> => {
    const produced: number[] = []
    const consumed: number[] = []
    for (let run = 0; run < Number(values.runs); run++) {
      const { topic, drop } = await createBenchTopic(brokers)
      const p = await rawKafkaPublish({ brokers, topic, records, batch })
      const c = await rawKafkaConsume(brokers, topic, records)
      produced.push(p.perSecond)
      consumed.push(c.perSecond)
      console.log(`run ${run + 1}: produce ${p.perSecond.toFixed(0)} records/s (${p.seconds.toFixed(2)} s), consume ${c.perSecond.toFixed(0)} records/s`)
      await drop()
    }
    console.log(`median of ${produced.length}: produce ${median(produced).toFixed(0)} records/s, consume ${median(consumed).toFixed(0)} records/s (${records} records, batches of ${batch})`)
  }
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
}
