import type { IndexSpec } from '../documents/document'
import { InvalidDocumentOperationError } from '../errors/errors'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { physicalCollection } from '../projection/projection-state'

/**
 * Maps the collections a projection declares to their physical names in a
 * generation, for a {@link DocumentBatch}.
 * The returned function throws {@link InvalidDocumentOperationError} for a collection the projection does not declare.
 */
export const generationCollections =
  (projection: ProjectionDefinition, generation: number) =>
  (logical: string): string => {
    if (!projection.collections.includes(logical)) {
      throw new InvalidDocumentOperationError(`projection '${projection.name}' does not declare this collection`, logical)
    }
    return physicalCollection(logical, generation)
  }

/** The projection's indexes, on its collections of a generation. */
export const generationIndexes = (projection: ProjectionDefinition, generation: number): IndexSpec[] =>
  projection.indexes.map((i) => ({ ...i, collection: physicalCollection(i.collection, generation) }))
