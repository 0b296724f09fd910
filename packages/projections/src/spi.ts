// @eventfold/projections/spi: the types and helpers a DocumentStore adapter, a
// competing-consumer source or a first-party tool builds on. Applications use
// `@eventfold/projections`.
export {
  type DocumentMeta,
  type StoredDocument,
  type DocumentWrite,
  type CheckpointWrite,
  type CommitRequest,
  type CommitResult,
  type DocumentStoreCapabilities,
  type PublishedReadModel,
} from './documents/document-store'
export { matches, query } from './documents/mongo-semantics'
export { type ProjectionMetadata, projectionMetadataOf } from './projection/decorators'
export { projectionFilter } from './projection/projection-definition'
export { DEAD_LETTER_COLLECTION } from './dead-letters/dead-letters'
export { checkpointName, physicalCollection } from './generations/projection-state'
export { partitionKey, inPartition, partitionOfKey } from './projection/partition'
export { LEASE_COLLECTION } from './worker/leases'
export { type CompetingDelivery, type CompetingSubscription, type CompetingConsumerSource } from './worker/competing-consumer-source'
export {
  assertCollectionName,
  assertCollectionPrefix,
  assertDocumentId,
  assertDocumentKey,
  assertDocumentBody,
  assertFilter,
  assertFindOptions,
  assertUpdateFields,
  assertIndexSpec,
  assertCommitRequest,
  assertCheckpointName,
} from './documents/document-input'
