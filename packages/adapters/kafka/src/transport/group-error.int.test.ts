import { afterAll, expect, it } from '@jest/globals'
import { Consumer } from '@platformatic/kafka'
import { KafkaRequestError, KafkaTransport } from '../index'
import { bareSubscription } from '../testing/bare-subscription'
import { describeKafka, freshName, kafkaBrokers } from '../testing/connect'

describeKafka('a Kafka subscription whose consumer reports an error of its own', () => {
  const transport = new KafkaTransport(kafkaBrokers())
  afterAll(() => transport.close())

  it('fails its next read with the error, instead of ending the process', async () => {
    const topic = freshName('group-error')
    const group = freshName('group')
    await transport.declare({ name: topic })
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({ bootstrapBrokers: kafkaBrokers(), clientId: 'group-error', groupId: group })
    const subscription = bareSubscription(consumer, group, topic)
    await subscription.start()
    try {
      // What the client emits when a member cannot rejoin its group after a failed heartbeat.
      consumer.emit('error', new Error('rejoinGroup failed 4 times'))

      await expect(subscription.read(10, 60_000, new Promise<void>(() => {}))).rejects.toBeInstanceOf(KafkaRequestError)
    } finally {
      await subscription.close()
    }
  })
})
