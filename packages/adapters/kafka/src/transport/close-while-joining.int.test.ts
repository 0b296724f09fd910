import { afterAll, expect, it } from '@jest/globals'
import { Consumer } from '@platformatic/kafka'
import { KafkaTransport } from '../index'
import { bareSubscription, type KafkaConsumer } from '../testing/bare-subscription'
import { describeKafka, freshName, kafkaBrokers } from '../testing/connect'

/** A bare group member; a `quiet` one heartbeats so seldom that it never notices a rebalance during a test. */
const member = (group: string, quiet = false): KafkaConsumer =>
  new Consumer({
    bootstrapBrokers: kafkaBrokers(),
    clientId: freshName('member'),
    groupId: group,
    ...(quiet ? { sessionTimeout: 60_000, rebalanceTimeout: 60_000, heartbeatInterval: 30_000 } : { sessionTimeout: 6_000, rebalanceTimeout: 6_000, heartbeatInterval: 500 }),
  })

/** Resolves when `consumer` starts the group request `operation` (the client reports each attempt). */
const requested = (consumer: KafkaConsumer, operation: string): Promise<void> =>
  new Promise((resolve) => {
    const onAttempt = (started: string): void => {
      if (started !== operation) return
      consumer.off('client:performWithRetry', onAttempt)
      resolve()
    }
    consumer.on('client:performWithRetry', onAttempt)
  })

// Leaving first ends a join still under way, which close() alone would leave retrying: what these tests are about.
const leave = async (consumer: KafkaConsumer): Promise<void> => {
  try {
    if (!consumer.closed) await consumer.leaveGroup()
  } finally {
    await consumer.close()
  }
}

describeKafka('a Kafka subscription closed while its consumer joins the group', () => {
  const transport = new KafkaTransport(kafkaBrokers())
  afterAll(() => transport.close())

  it('stops a rejoin under way before close resolves, instead of leaving it retrying on closed connections', async () => {
    const topic = freshName('rejoin')
    const group = freshName('group')
    await transport.declare({ name: topic, partitions: 2 })
    const consumer = member(group)
    const subscription = bareSubscription(consumer, group, topic)
    await subscription.start()
    // While a member that does not rejoin of itself is in the group, the broker holds the others' rejoins.
    const quiet = member(group, true)
    const newcomer = member(group)
    try {
      // The quiet member's join makes the consumer rejoin once, before the rejoin under test.
      const settled = new Promise((resolve) => consumer.once('consumer:rejoin', resolve))
      await quiet.joinGroup({})
      await settled
      const errors: Error[] = []
      consumer.on('error', (error: Error) => errors.push(error))
      let rejoinEnded = false
      // The newcomer's join starts a rebalance: the consumer's next heartbeat fails and it rejoins;
      // the subscription closes right then, and its leave waits behind the held rejoin.
      const closed = new Promise<void>((resolve, reject) => {
        consumer.once('consumer:group:rebalance', () => {
          consumer.once('consumer:rejoin', () => (rejoinEnded = true))
          subscription.close().then(resolve, reject)
        })
      })
      const leaving = requested(consumer, 'leaveGroup')
      const newcomerJoined = newcomer.joinGroup({})
      await leaving
      // The quiet member leaves: the rebalance completes, the rejoin is answered, then the leave.
      await quiet.close()
      await closed
      expect({ rejoinEnded, errors: errors.map((e) => e.message), closed: consumer.closed }).toEqual({ rejoinEnded: true, errors: [], closed: true })
      // Alone in the group now, the newcomer has no rejoin under way when it leaves.
      await newcomerJoined
    } finally {
      await Promise.allSettled([leave(quiet), leave(newcomer), subscription.close()])
    }
  }, 60_000)

  it.each(['joinGroup', 'syncGroup'])('lets start() finish when closed during its %s, then closes the consumer and its stream', async (operation) => {
    const topic = freshName('starting')
    const group = freshName('group')
    await transport.declare({ name: topic, partitions: 2 })
    const consumer = member(group)
    const subscription = bareSubscription(consumer, group, topic)
    const during = requested(consumer, operation)
    let startSettled = false
    const starting = subscription.start().finally(() => (startSettled = true))
    try {
      await during
      await subscription.close()
      expect({ startSettled, closed: consumer.closed, streams: consumer.streamsCount }).toEqual({ startSettled: true, closed: true, streams: 0 })
      await expect(starting).resolves.toBeUndefined()
    } finally {
      // A failed start is what the expectations above report; here it only must not be left unawaited.
      await starting.catch(() => {})
      await subscription.close()
    }
  }, 60_000)
})
