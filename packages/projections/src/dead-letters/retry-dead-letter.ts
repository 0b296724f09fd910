import { type EventRegistry } from '@eventfold/core'
import { defaultEventRegistry } from '@eventfold/core/spi'
import { DocumentBatch } from '../documents/document-batch'
import type { DocumentStore } from '../documents/document-store'
import { DeadLetterGenerationRetiredError, DeadLetterNotFoundError, DocumentConflictError } from '../errors/errors'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { isGenerationInUse } from '../generations/generations'
import { physicalCollection, ProjectionStates } from '../generations/projection-state'
import { DEAD_LETTER_COLLECTION, deadLetterDocument, deadLetterError, deadLetterEvent, deadLetterFromDocument, type DeadLetter } from './dead-letters'

/**
 * Applies a parked event again with the projection's current handler, into
 * the generation it was parked from (the active one, or one a rebuild is
 * filling). On success its writes and the removal of the dead
 * letter commit together; on failure the dead letter stays, with its attempt
 * count raised and the new error, and the error is rethrown.
 *
 * The writes are guarded by a bookkeeping key of their own (`dlq:<id>`), so
 * a retry that is itself retried after a crash does not apply twice.
 * @throws {@link DeadLetterNotFoundError} when no dead letter has this id.
 * @throws {@link DeadLetterGenerationRetiredError} when its generation is no longer in use; nothing is applied.
 */
export const retryDeadLetter = async (
  documents: DocumentStore,
  projection: ProjectionDefinition,
  id: string,
  registry: EventRegistry = defaultEventRegistry,
): Promise<DeadLetter> => {
  for (;;) {
    const stored = (await documents.getMany(DEAD_LETTER_COLLECTION, [id])).get(id)
    if (!stored) throw new DeadLetterNotFoundError(id)
    const letter = deadLetterFromDocument(stored.doc)
    const state = await new ProjectionStates(documents).get(projection.name)
    // A letter belongs to its generation: a generation that replaced it read the event again.
    const generation = letter.generation
    if (!isGenerationInUse(state, generation)) {
      throw new DeadLetterGenerationRetiredError(id, projection.name, generation, state?.generation)
    }
    const event = deadLetterEvent(letter)
    const batch = new DocumentBatch(documents, (c) => physicalCollection(c, generation), `dlq:${id}`, projection.collections[0]!)
    batch.setPosition(event.position)
    try {
      await projection.handle(registry.upcast(event), batch.documents())
      const writes = await batch.collectWrites()
      await documents.commit({
        writes: [...writes, { kind: 'delete', collection: DEAD_LETTER_COLLECTION, id, expectedRevision: stored.meta.revision }],
      })
      return letter
    } catch (error) {
      if (error instanceof DocumentConflictError) continue
      await documents.commit({
        writes: [
          {
            kind: 'put',
            collection: DEAD_LETTER_COLLECTION,
            doc: deadLetterDocument({ ...letter, attempts: letter.attempts + 1, error: deadLetterError(error) }),
            meta: { ...stored.meta, revision: stored.meta.revision + 1 },
            expectedRevision: stored.meta.revision,
          },
        ],
      })
      throw error
    }
  }
}
