// The application API. What adapter authors need to implement a DocumentStore or
// a competing-consumer source is in `@eventfold/projections/spi`; everything
// else is internal.
export {
  DocumentConflictError,
  isDocumentConflictError,
  DuplicateDocumentError,
  isDuplicateDocumentError,
  DocumentRejectedError,
  isDocumentRejectedError,
  UnknownProjectionError,
  isUnknownProjectionError,
  InvalidDocumentOperationError,
  DeadLetterNotFoundError,
  DeadLetterGenerationRetiredError,
  isDeadLetterGenerationRetiredError,
  UnknownReadModelError,
  isUnknownReadModelError,
  ReadModelNotReadyError,
  isReadModelNotReadyError,
} from './errors'
export { type Document, type Filter, type UpdateSpec, type FindOptions, type IndexSpec } from './documents/document'
export { type DocumentStore } from './documents/document-store'
export { MAX_COLLECTION_NAME_BYTES, RESERVED_FIELD_NAMES } from './documents/document-input'
export { type UpdateOptions, type Documents } from './documents/documents'
export { InMemoryDocumentStore } from './documents/in-memory-document-store'
export { type PartitionBy, type ProjectionOptions, type ProjectionHandler, Projection, On } from './projection/decorators'
export {
  type ProjectionDefinition,
  type DefineProjectionOptions,
  defineProjection,
  projectionFromInstance,
} from './projection/projection-definition'
export { type DeadLetter, DeadLetters } from './dead-letters/dead-letters'
export { type ProjectionState, ProjectionStates } from './generations/projection-state'
export { type ReadModel, type ReadModelsOptions, ReadModels } from './read-models/read-models'
export { type Partition } from './projection/partition'
export {
  type WorkerProgress,
  type ProjectionWorkerOptions,
  PartitionCountMismatchError,
  RebuildInProgressError,
  ProjectionWorker,
} from './worker/projection-worker'
export { retryDeadLetter } from './dead-letters/retry-dead-letter'
export { type RebuildProgress, type RebuildOptions, type RebuildResult, rebuildProjection } from './rebuild/rebuild-projection'
export {
  type RebuildPreviewOptions,
  type RebuildPreview,
  type InterruptedRebuildPreview,
  type DocumentRef,
  type ChangedDocument,
  type DifferenceKind,
  previewRebuild,
} from './rebuild/preview-rebuild'
export { type FieldDifference } from './rebuild/document-diff'
export { RebuildOwnedError, isRebuildOwnedError } from './rebuild/rebuild-lease'
export { resetProjection } from './generations/generations'
export { RevisionOutOfRangeError, type AggregateReplay, replayAggregate } from './replay/replay-aggregate'
export { LeaseLostError } from './worker/leases'
export { type ProjectionHostOptions, ProjectionHost } from './worker/projection-host'
export {
  type CompetingWorkerProgress,
  type CompetingConsumerWorkerOptions,
  TransactionsRequiredError,
  isTransactionsRequiredError,
  GenerationSwitchedError,
  isGenerationSwitchedError,
  CompetingConsumerWorker,
} from './worker/competing-consumer-worker'
export { DocumentReadError } from './documents/document-batch'
