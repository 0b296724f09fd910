export { RabbitMQTransport, type RabbitMQTransportOptions } from './transport/rabbitmq-transport'
export {
  BrokerRefusedError,
  BrokerUnreachableError,
  CompactedTopicUnsupportedError,
  SubscriptionClosedError,
  isBrokerRefusedError,
  isBrokerUnreachableError,
  isCompactedTopicUnsupportedError,
  isSubscriptionClosedError,
} from './errors'
