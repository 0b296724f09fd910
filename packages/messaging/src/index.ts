export type { IntegrationEnvelope } from './envelope/envelope'
export {
  InvalidPublicationError,
  MalformedMessageError,
  TopicMismatchError,
  UnknownTopicError,
  isInvalidPublicationError,
  isMalformedMessageError,
  isTopicMismatchError,
  isUnknownTopicError,
} from './errors'
export { InMemoryTransport } from './transport/in-memory-transport'
export type { PartitionLag, StartFrom, TopicSpec } from './transport/transport'
export { publish, Published, type PayloadKind, type Publication, type PublicationSpec } from './publishing/publication'
export { definePublications, Publications, type Outgoing, type PublicationsOptions } from './publishing/publications'
export { Relay, RelayPartitionCountMismatchError, isRelayPartitionCountMismatchError, type RelayOptions } from './relay/relay'
export type { RelayProgress } from './relay/relay-worker'
export { relayStatus, type RelayPartitionStatus, type RelayStatus } from './relay/relay-status'
export {
  FetcherMissingError,
  isFetcherMissingError,
  InboxAppendUnsupportedError,
  ParkedMessageNotFoundError,
  isParkedMessageNotFoundError,
  ParkedRetryFailedError,
} from './errors'
export {
  type ConsumerContext,
  type IntegrationHandler,
  type Fetcher,
  type ConsumerDefinition,
  type DefineConsumerOptions,
  defineConsumer,
} from './consumers/consumer-definition'
export { type ConsumerOptions, Consumer, Handles, consumerFromInstance } from './consumers/decorators'
export { type ConsumerWorkerOptions, type ConsumerProgress, type ParkedRetryResult, ConsumerWorker } from './consumers/consumer-worker'
export { type InboxStore } from './inbox/inbox-store'
export { documentsInbox } from './inbox/documents-inbox'
export { type ParkedMessage } from './inbox/inbox-records'
export { ParkedMessages } from './parked/parked-messages'
