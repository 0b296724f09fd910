export type { IntegrationEnvelope } from './envelope/envelope'
export { MalformedMessageError, TopicMismatchError, isMalformedMessageError, isTopicMismatchError } from './errors'
export type { PartitionLag, StartFrom, TopicSpec } from './transport/transport'
