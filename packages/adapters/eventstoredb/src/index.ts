export { EventStoreDBEventStore, type EventStoreDBEventStoreOptions } from './store/eventstoredb-event-store'
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
export { parkedStreamOf, encodeParkReason, decodeParkReason, toDeadLetter, type ParkReason, type DeadLetterSource } from './persistent/parked-messages'
export { applyRetention, readRetention, type StreamRetention, type RetentionChange } from './retention/stream-retention'
export { deleteStream, getRetention, setRetention, type DeleteStreamOptions } from './retention/stream-admin'
export { encodePosition, decodePosition, isLogPosition, comparePositions, formatPosition } from './mapping/position'
export {
  toEventStoreDBExpectedRevision,
  fromEventStoreDBExpectedRevision,
  fromEventStoreDBCurrentRevision,
} from './mapping/expected-revision'
export { toEventStoreDBEventId } from './mapping/event-id'
export { toEventStoreDBFilter, matchesEventFilter, eventTypesPattern, streamPrefixesPattern } from './mapping/filter'
export { toEventStoreDBEvent, fromEventStoreDBEvent, isSystemEvent } from './mapping/events'
export { translateClientError, refusedAppend, isMissingStreamError, type ErrorContext } from './mapping/client-errors'
export {
  StreamTombstonedError,
  isStreamTombstonedError,
  PositionUnavailableError,
  isPositionUnavailableError,
  SubscriptionDroppedError,
  isSubscriptionDroppedError,
} from './errors'
