import { randomBytes } from 'node:crypto'
import amqp from 'amqplib'
import { partitionOfKey } from '@eventfold/projections/spi'
import type { TransportMessage } from '@eventfold/messaging/spi'
import type { Throughput } from './kafka-raw'

/** A topic exchange with one durable queue per partition bound to it (what a consumer group has), deleted by `drop`. */
export const createRabbitBenchTopology = async (url: string, partitions: number): Promise<{ exchange: string; drop: () => Promise<void> }> => {
  const connection = await amqp.connect(url)
  const channel = await connection.createChannel()
  const exchange = `eventfold-bench-${randomBytes(4).toString('hex')}`
  await channel.assertExchange(exchange, 'topic', { durable: true })
  const queues = Array.from({ length: partitions }, (_, p) => `${exchange}.${p}`)
  for (const [p, queue] of queues.entries()) {
    await channel.assertQueue(queue, { durable: true })
    await channel.bindQueue(queue, exchange, String(p))
  }
  return {
    exchange,
    drop: async () => {
      for (const queue of queues) await channel.deleteQueue(queue)
      await channel.deleteExchange(exchange)
      await connection.close()
    },
  }
}

/**
 * The raw producer's limit on RabbitMQ: the relay's batches, sent with
 * amqplib on a confirm channel as persistent messages routed by partition
 * of key, each batch awaited until the broker confirmed all of it, as a
 * relay awaits its publish before it checkpoints.
 */
export const rawRabbitPublish = async (url: string, exchange: string, partitions: number, batches: readonly (readonly TransportMessage[])[]): Promise<Throughput> => {
  const connection = await amqp.connect(url)
  try {
    const channel = await connection.createConfirmChannel()
    let records = 0
    const started = process.hrtime.bigint()
    for (const batch of batches) {
      for (const m of batch) {
        const content = m.value === null ? Buffer.alloc(0) : Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength)
        const sent = channel.publish(exchange, String(partitionOfKey(m.key, partitions)), content, {
          persistent: true,
          messageId: m.id,
          headers: { ...m.headers, 'ef-key': m.key },
        })
        if (!sent) await new Promise((resolve) => channel.once('drain', resolve))
      }
      await channel.waitForConfirms()
      records += batch.length
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    return { records, seconds, perSecond: records / seconds }
  } finally {
    await connection.close()
  }
}
