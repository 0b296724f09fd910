import type { IndexSpec } from '../documents/document'
import type { DocumentStore } from '../documents/document-store'
import { InvalidDocumentOperationError } from '../errors/errors'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { checkpointName, DEAD_LETTER_COLLECTION, physicalCollection, streamMarkerCollection, type ProjectionStates } from './projection-state'
import { partitionKey } from '../projection/partition'

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

/** Drops a generation's collections (read model and stream markers), checkpoints and dead letters. */
export const dropGeneration = async (
  documents: DocumentStore,
  projection: Pick<ProjectionDefinition, 'name' | 'collections'>,
  generation: number,
  partitions: number,
): Promise<void> => {
  for (const c of projection.collections) await documents.dropCollection(physicalCollection(c, generation))
  // Written by competing-consumer workers only; dropping a collection that is not there is harmless.
  await documents.dropCollection(streamMarkerCollection(projection.name, generation))
  const prefix = `${projection.name}@${generation}#`
  const names = [...(await documents.listCheckpoints(prefix)).keys()]
  for (let index = 0; index < partitions; index++) names.push(checkpointName(projection.name, generation, partitionKey({ index, count: partitions })))
  await documents.deleteCheckpoints([...new Set(names)])
  // A letter belongs to its generation: whatever replaces the generation reads the event again.
  const letters = await documents.find(DEAD_LETTER_COLLECTION, { projection: projection.name, generation })
  if (letters.length === 0) return
  const stored = await documents.getMany(DEAD_LETTER_COLLECTION, letters.map((l) => l._id))
  await documents.commit({
    writes: [...stored].map(([id, s]) => ({ kind: 'delete' as const, collection: DEAD_LETTER_COLLECTION, id, expectedRevision: s.meta.revision })),
  })
}

/**
 * The projection's active generation when it is no longer `generation` (a
 * rebuild switched readers, or a reset started one); undefined while it still
 * is, or when the state cannot be read: a worker checks before it commits,
 * and its commit meets the same store error and retries it.
 */
export const generationSwitchedFrom = async (states: ProjectionStates, projection: string, generation: number): Promise<number | undefined> => {
  let active: number | undefined
  try {
    active = (await states.get(projection))?.generation
  } catch {
    return undefined
  }
  return active !== undefined && active !== generation ? active : undefined
}
