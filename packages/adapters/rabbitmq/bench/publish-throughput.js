// Publish-with-confirms throughput on RabbitMQ: the raw amqplib confirm channel
// and RabbitMQTransport.publish, sending the same messages in the same batches
// to a topic with one consumer group bound (so every message is routed to a
// durable queue and persisted). After one uncounted warm-up run of each, prints
// each run and the median of the runs.
//
//   npx tsc -b tsconfig.json
//   eval "$(scripts/services env rabbitmq)"
//   node packages/adapters/rabbitmq/bench/publish-throughput.js [messages=20000] [batch=500] [runs=3]
'use strict'

const { randomBytes } = require('node:crypto')
const amqp = require('amqplib')
const { RabbitMQTransport } = require('../dist/index.js')
const { partitionOfKey } = require('@eventfold/projections/spi')

const url = process.env.RABBITMQ_URL || 'amqp://eventfold:eventfold@127.0.0.1:5672'
const [total = 20000, batch = 500, runs = 3] = process.argv.slice(2).map(Number)
const PARTITIONS = 4

// An integration event's size and headers: about 200 bytes of JSON, the envelope's identifiers as headers.
const messages = Array.from({ length: total }, (_, i) => {
  const streamId = `Order-${i % 1000}`
  return {
    id: `evt-${i}`,
    key: streamId,
    headers: { 'ef-id': `evt-${i}`, 'ef-type': 'OrderPlaced.v1', 'ef-source': 'order', 'ef-stream': streamId, 'ef-revision': String(Math.floor(i / 1000)), 'ef-position': String(i), 'ef-payload': 'full' },
    value: new TextEncoder().encode(JSON.stringify({ orderId: streamId, customer: 'c-42', items: [{ sku: 'ipad', quantity: 1, price: 999 }], note: 'x'.repeat(80) })),
  }
})

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function raw(topic) {
  const connection = await amqp.connect(url)
  const channel = await connection.createConfirmChannel()
  const started = process.hrtime.bigint()
  for (let i = 0; i < messages.length; i += batch) {
    for (const m of messages.slice(i, i + batch)) {
      channel.publish(topic, String(partitionOfKey(m.key, PARTITIONS)), Buffer.from(m.value), { persistent: true, messageId: m.id, headers: m.headers })
    }
    await channel.waitForConfirms()
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  await connection.close()
  return total / seconds
}

async function transport(topic) {
  const t = new RabbitMQTransport(url)
  await t.declare({ name: topic, partitions: PARTITIONS })
  const started = process.hrtime.bigint()
  for (let i = 0; i < messages.length; i += batch) await t.publish(topic, messages.slice(i, i + batch))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  await t.close()
  return total / seconds
}

async function main() {
  const topic = `bench-${randomBytes(4).toString('hex')}`
  const group = `${topic}-group`
  const setup = new RabbitMQTransport(url)
  await setup.declare({ name: topic, partitions: PARTITIONS })
  const member = await setup.subscribe({ group, topics: [topic] })
  await member.close()
  await setup.close()

  const connection = await amqp.connect(url)
  const admin = await connection.createChannel()
  const queues = Array.from({ length: PARTITIONS }, (_, n) => `${group}.${topic}.${n}`)
  const results = { raw: [], transport: [] }
  // One run of each first, not counted: it warms the JIT, the connection and the broker's queues.
  for (const publish of [raw, transport]) await publish(topic)
  for (let run = 1; run <= runs; run++) {
    for (const [name, publish] of [['raw', raw], ['transport', transport]]) {
      for (const q of queues) await admin.purgeQueue(q)
      const rate = await publish(topic)
      results[name].push(rate)
      console.log(`run ${run} ${name.padEnd(9)} ${Math.round(rate)} msg/s`)
    }
  }
  for (const q of [...queues, `eventfold.topic.${topic}`, `${group}.parked`]) await admin.deleteQueue(q)
  for (const e of [topic, `${group}.dead-letter`]) await admin.deleteExchange(e)
  await connection.close()
  const r = median(results.raw)
  const t = median(results.transport)
  console.log(`median of ${runs}: raw amqplib ${Math.round(r)} msg/s, RabbitMQTransport ${Math.round(t)} msg/s (${(t / r).toFixed(2)}x); ${total} messages in batches of ${batch}, ${PARTITIONS} partitions, one group`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
