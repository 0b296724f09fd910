import 'reflect-metadata'

// The application API. What adapter authors need to implement a store is in
// `@eventfold/core/spi`; everything else is internal.
export {
  EventfoldError,
  isEventfoldError,
  ConcurrencyError,
  isConcurrencyError,
  StreamAlreadyExistsError,
  isStreamAlreadyExistsError,
  AggregateNotFoundError,
  isAggregateNotFoundError,
  UnknownCommandError,
  isUnknownCommandError,
  UnknownQueryError,
  isUnknownQueryError,
  UnknownEventTypeError,
  isUnknownEventTypeError,
  UndecoratedClassError,
  isUndecoratedClassError,
  DomainError,
  isDomainError,
  type ValidationIssue,
  ValidationError,
  isValidationError,
  SerializationError,
  isSerializationError,
  MissingUpcasterError,
  isMissingUpcasterError,
  MetadataNotReadError,
  isMetadataNotReadError,
  EventHandlerError,
  isEventHandlerError,
  StoreClosedError,
  PermanentStoreError,
  isPermanentStoreError,
} from './errors'
export { type EventMetadata, type EventData, type RecordedEvent } from './events/event'
export { type ExpectedRevision } from './events/expected-revision'
export { MAX_APPEND_BYTES, MAX_EVENTS_PER_APPEND, MAX_JSON_DEPTH, MAX_NAME_BYTES } from './events/limits'
export { type EventClass, type Upcaster, defineUpcaster, EventRegistry, Event } from './events/event-registry'
export { type EventBusHandler, type EventBusOptions, EventBus } from './events/event-bus'
export {
  type AppendOptions,
  type AppendResult,
  type ReadStreamOptions,
  type EventFilter,
  type ReadAllOptions,
  type SubscribeToAllOptions,
  type Subscription,
  type EventStore,
  type EventRead,
} from './store/event-store'
export { InMemoryEventStore } from './store/in-memory-event-store'
export { type CommandClass, type PlainCommand, Command, AggregateId } from './commands/command'
export { type CommandResult, type ExecuteOptions, type CommandBusOptions, CommandBus } from './commands/command-bus'
export {
  type CommandContext,
  type CommandMiddleware,
  correlation,
  validation,
  type RetryOptions,
  retryOnConcurrency,
  causedBy,
} from './commands/middleware'
export { type QueryClass, Query, type QueryHandlerFn, QueryBus } from './queries/query-bus'
export { EventHandler, QueryHandler } from './handlers/decorators'
export { type AggregateOptions, type CommandHandlerOptions, Aggregate, CommandHandler, EventSourcingHandler } from './aggregates/decorators'
export { AggregateRoot } from './aggregates/aggregate-root'
export {
  type DecideContext,
  type Decider,
  type CommandRoute,
  type SnapshotPolicy,
  type AggregateDefinition,
  type DefineAggregateOptions,
  defineAggregate,
  type AggregateClass,
  aggregateStreamId,
  aggregateIdOfStream,
} from './aggregates/aggregate-definition'
export {
  type LoadedAggregate,
  type LoadOptions,
  type AggregateRepositoryOptions,
  AggregateRepository,
} from './aggregates/repository'
export { type Snapshot, type SnapshotStore, InMemorySnapshotStore } from './snapshots/snapshot-store'
export { type BackoffPolicy } from './utils/backoff'
export { TOKENS } from './di/tokens'
export { type EventfoldConfig, eventfoldModule, connectHandlers, type Eventfold, createEventfold } from './di/eventfold-module'
export { type Logger, setLogger, traceLogFields } from './telemetry/logger'
