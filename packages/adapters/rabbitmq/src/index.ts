export { RabbitMQTransport, type RabbitMQTransportOptions } from './transport/rabbitmq-transport'
export {
  BrokerRefusedError,
  BrokerUnreachableError,
  CompactedTopicUnsupportedError,
  SubscriptionClosedError,
  TopicNotDeclaredError,
  isBrokerRefusedError,
  isBrokerUnreachableError,
  isCompactedTopicUnsupportedError,
  isSubscriptionClosedError,
  isTopicNotDeclaredError,
} from './errors'
