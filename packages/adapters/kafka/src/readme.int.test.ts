import { expect, it } from '@jest/globals'
import type { IntegrationEnvelope } from '@eventfold/messaging'
import { decodeEnvelope, encodeEnvelope } from '@eventfold/messaging/spi'
import { KafkaTransport } from './index'
import { describeKafka, freshName, kafkaBrokers } from './testing/connect'

describeKafka('the README of @eventfold/kafka', () => {
  it('publishes an integration event and reads it in a consumer group', async () => {
    const saved = process.env.KAFKA_BROKERS
    process.env.KAFKA_BROKERS = kafkaBrokers().join(',')
    const topic = freshName('orders')
    const group = freshName('billing')
    const envelope: IntegrationEnvelope = {
      id: '6a1f0c1e-3b55-4c61-9d7e-2f8a4c0b9e11',
      type: 'OrderPlaced.v1',
      source: 'orders',
      streamId: 'Order-42',
      revision: 0n,
      position: 17n,
      occurredAt: '2026-12-03T12:00:00.000Z',
      payload: 'full',
      data: { orderId: '42', total: 99.5 },
    }
    // #region usage
    const transport = new KafkaTransport(process.env.KAFKA_BROKERS!.split(','))
    await transport.declare({ name: topic, partitions: 3, retentionMs: 'forever' })
    await transport.publish(topic, [encodeEnvelope(envelope)]) // keyed by stream id

    const member = await transport.subscribe({ group, topics: [topic], from: 'earliest' })
    const deliveries = await member.read(100, 50, new Promise((resolve) => setTimeout(resolve, 5_000).unref()))
    const handled: string[] = []
    for (const delivery of deliveries) {
      const event = decodeEnvelope(delivery)
      handled.push(`${event.type} ${event.streamId}`) // OrderPlaced.v1 Order-42
    }
    await member.acknowledge(deliveries) // the group moves past them
    const lag = await transport.lag(group, [topic]) // per partition: committed, end, lag (0n)
    await transport.close()
    // #endregion usage
    if (saved === undefined) delete process.env.KAFKA_BROKERS
    else process.env.KAFKA_BROKERS = saved
    expect(deliveries.map(decodeEnvelope)).toEqual([envelope])
    expect(handled).toEqual(['OrderPlaced.v1 Order-42'])
    expect(lag.reduce((sum, p) => sum + p.lag, 0n)).toBe(0n)
  })
})
