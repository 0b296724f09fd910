export type { IntegrationEnvelope } from './envelope/envelope'
export { MalformedMessageError, TopicMismatchError, UnknownTopicError, isMalformedMessageError, isTopicMismatchError, isUnknownTopicError } from './errors'
export { InMemoryTransport } from './transport/in-memory-transport'
export type { PartitionLag, StartFrom, TopicSpec } from './transport/transport'
