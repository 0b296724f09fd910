import { transportContract } from '@eventfold/messaging/testing'
import type { SubscribeOptions, TopicSpec, Transport, TransportMessage } from '@eventfold/messaging/spi'
import { deadLetterExchange, parkedQueue, partitionQueue, topicSettingsQueue } from '../topology/names'
import { deleteTopology, describeRabbitMQ, rabbitmqUrl } from '../test-support/broker'
import { RabbitMQTransport } from './rabbitmq-transport'

// A RabbitMQ queue only gets what arrives after it was bound, and the broker keeps no log to compact.
const capabilities = { replaysHistory: false, compaction: false }

describeRabbitMQ('RabbitMQTransport', () => {
  transportContract('RabbitMQTransport', capabilities, async () => {
    // A short rebalance interval, so members hand partitions over during the contract's group tests.
    const transport = new RabbitMQTransport(rabbitmqUrl(), { rebalanceIntervalMs: 20 })
    const topics = new Map<string, number>()
    const groups = new Set<string>()
    // Records what the contract declares and joins, so teardown deletes it from the shared broker.
    const recording: Transport = {
      name: transport.name,
      declare: async (topic: TopicSpec) => {
        topics.set(topic.name, Math.max(topics.get(topic.name) ?? 0, topic.partitions ?? 1))
        await transport.declare(topic)
      },
      publish: (topic: string, messages: readonly TransportMessage[]) => transport.publish(topic, messages),
      subscribe: (options: SubscribeOptions) => {
        groups.add(options.group)
        return transport.subscribe(options)
      },
      lag: (group, of) => transport.lag(group, of),
      close: () => transport.close(),
    }
    const teardown = async (): Promise<void> => {
      const queues = [...topics].flatMap(([topic, partitions]) => [
        topicSettingsQueue(topic),
        ...[...groups].flatMap((group) => Array.from({ length: partitions }, (_, n) => partitionQueue(group, topic, n))),
      ])
      await deleteTopology({
        exchanges: [...topics.keys(), ...[...groups].map(deadLetterExchange)],
        queues: [...queues, ...[...groups].map(parkedQueue)],
      })
    }
    return { transport: recording, teardown }
  })
})
