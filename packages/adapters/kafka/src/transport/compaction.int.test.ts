import { afterAll, expect, it } from '@jest/globals'
import type { Delivery, TransportMessage } from '@eventfold/messaging/spi'
import { KafkaTransport } from '../index'
import { describeKafka, eventually, freshName, kafkaBrokers } from '../testing/connect'

const text = new TextEncoder()
const value = (key: string, version: number): TransportMessage => ({
  id: `${key}@${version}`,
  key,
  headers: {},
  value: text.encode(JSON.stringify({ key, version })),
})

describeKafka('a compacted Kafka topic', () => {
  const topic = freshName('compacted')
  // Small segments and an eager cleaner, so the broker compacts within seconds.
  const transport = new KafkaTransport(kafkaBrokers(), {
    topicConfigs: {
      [topic]: {
        'segment.ms': '100',
        'min.cleanable.dirty.ratio': '0.01',
        'min.compaction.lag.ms': '0',
        'delete.retention.ms': '0',
      },
    },
  })
  afterAll(async () => {
    await transport.close()
  })

  /** What a consumer group that never read the topic gets from it now, up to its end. */
  const readAll = async (): Promise<Delivery[]> => {
    const [partition] = await transport.lag(freshName('probe'), [topic])
    const end = partition!.end
    const subscription = await transport.subscribe({ group: freshName('reader'), topics: [topic] })
    const got: Delivery[] = []
    try {
      while (got.length === 0 || got[got.length - 1]!.offset < end - 1n) {
        got.push(...(await subscription.read(1000, 50, new Promise<void>(() => undefined))))
      }
    } finally {
      await subscription.close()
    }
    return got
  }

  it('keeps only the latest value of each key, and forgets a key whose latest message is a tombstone', async () => {
    await transport.declare({ name: topic, partitions: 1, compacted: true })
    for (let version = 1; version <= 5; version++) {
      await transport.publish(topic, ['a', 'b', 'c'].map((key) => value(key, version)))
    }
    await transport.publish(topic, [{ id: 'c@deleted', key: 'c', headers: {}, value: null }])

    let roll = 0
    const survivors = await eventually(
      'the log cleaner to leave one message for a and b and none for c',
      async () => {
        // A segment is only cleaned once a newer one exists: each probe appends to roll the log.
        await transport.publish(topic, [value('roll', roll++)])
        const deliveries = (await readAll()).filter((d) => d.key !== 'roll')
        const keys = deliveries.map((d) => d.key)
        return keys.length === 2 && keys.includes('a') && keys.includes('b') ? deliveries : undefined
      },
      120_000,
      500,
    )
    const latest = Object.fromEntries(survivors.map((d) => [d.key, JSON.parse(new TextDecoder().decode(d.value!)) as unknown]))
    expect(latest).toEqual({ a: { key: 'a', version: 5 }, b: { key: 'b', version: 5 } })
  }, 150_000)
})
