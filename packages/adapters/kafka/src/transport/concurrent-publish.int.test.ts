import { expect, it, jest } from '@jest/globals'
import type { Delivery, TransportMessage } from '@eventfold/messaging/spi'
import { KafkaTransport } from '../index'
import { describeKafka, freshName, kafkaBrokers } from '../testing/connect'

jest.setTimeout(90_000)

const text = new TextEncoder()
const message = (n: number): TransportMessage => ({ id: `m-${n}`, key: `Stream-${n % 50}`, headers: {}, value: text.encode(JSON.stringify({ n })) })

describeKafka('KafkaTransport publishing from several callers at once', () => {
  it('keeps every message of publishes that overlap (as a relay publishes its partitions)', async () => {
    const transport = new KafkaTransport(kafkaBrokers(), { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 })
    const topic = freshName('overlap')
    try {
      await transport.declare({ name: topic, partitions: 2 })
      // Eight callers, each publishing its own batches in turn, all at once on one producer.
      await Promise.all(
        Array.from({ length: 8 }, async (_, caller) => {
          for (let b = 0; b < 5; b++) await transport.publish(topic, Array.from({ length: 100 }, (_, i) => message(caller * 500 + b * 100 + i)))
        }),
      )
      const subscription = await transport.subscribe({ group: freshName('overlap-reader'), topics: [topic] })
      const ids = new Set<string>()
      const lag = await transport.lag(freshName('nobody'), [topic])
      // The broker's end offsets say how many records it holds: every publish that resolved must be there.
      expect(lag.reduce((n, p) => n + Number(p.end), 0)).toBe(4000)
      const never = new Promise<void>(() => {})
      while (ids.size < 4000) for (const d of (await subscription.read(1000, 50, never)) as Delivery[]) ids.add(d.id)
      await subscription.close()
      expect(ids.size).toBe(4000)
    } finally {
      await transport.close()
    }
  })
})
