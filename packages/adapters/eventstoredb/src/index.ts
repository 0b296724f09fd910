export { EventStoreDBEventStore, type EventStoreDBEventStoreOptions } from './store/eventstoredb-event-store'
export type { EventStoreClient } from './client/client'
export {
  PersistentProjectionConsumer,
  type PersistentProjectionConsumerOptions,
  type PersistentConsumerStatus,
} from './persistent/persistent-projection-consumer'
export {
  PersistentSubscriptionSource,
  type PersistentSubscriptionSourceOptions,
  type PersistentSubscriptionFeed,
} from './persistent/persistent-subscription-source'
export {
  persistentProjectionWorker,
  type PersistentProjectionWorkerOptions,
  type PersistentProjectionWorker,
} from './persistent/persistent-projection-worker'
export { type StreamRetention, type RetentionChange } from './retention/stream-retention'
export { deleteStream, getRetention, setRetention, type DeleteStreamOptions } from './retention/stream-admin'
export { encodePosition, decodePosition } from './mapping/position'
export {
  StreamTombstonedError,
  isStreamTombstonedError,
  StreamSoftDeletedError,
  isStreamSoftDeletedError,
  PositionUnavailableError,
  isPositionUnavailableError,
  SubscriptionDroppedError,
  isSubscriptionDroppedError,
} from './errors'
