import type { Consumer } from '@platformatic/kafka'
import { KafkaSubscription } from '../transport/kafka-subscription'
import { kafkaBrokers } from './connect'

/** A consumer of the shape a Kafka subscription reads with. */
export type KafkaConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>

/** A subscription on a consumer the test made, so that it can drive the consumer's group membership itself. */
export const bareSubscription = (consumer: KafkaConsumer, group: string, topic: string): KafkaSubscription =>
  new KafkaSubscription(
    consumer,
    { group, topics: [topic] },
    {
      bufferedDeliveries: 100,
      context: (operation, onTopic) => ({ operation, ...(onTopic ? { topic: onTopic } : {}), brokers: kafkaBrokers().join(','), group }),
      deadLetter: async () => {},
      closed: () => {},
    },
  )
