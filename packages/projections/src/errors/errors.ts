import { EventfoldError } from '@eventfold/core'

/** A document changed between a batch reading it and writing it (another partition or worker wrote it). */
export class DocumentConflictError extends EventfoldError {
  readonly type = 'document-conflict' as const
  constructor(
    readonly collection: string,
    readonly id: string,
    readonly expectedRevision: number,
    readonly actualRevision: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `Document ${collection}/${id} expected at revision ${expectedRevision} but is at ${actualRevision ?? 'none'}`,
      options,
    )
  }
}
export const isDocumentConflictError = (e: unknown): e is DocumentConflictError => e instanceof DocumentConflictError

/** An insert hit an existing document. */
export class DuplicateDocumentError extends EventfoldError {
  readonly type = 'duplicate-document' as const
  constructor(
    readonly collection: string,
    readonly id: string,
  ) {
    super(`Document ${collection}/${id} already exists`)
  }
}
export const isDuplicateDocumentError = (e: unknown): e is DuplicateDocumentError => e instanceof DuplicateDocumentError

/**
 * The store refused a document for its content (a key or value it cannot
 * hold, a document too large): writing it again will fail the same way, so a
 * worker parks the event that wrote it instead of retrying it as an outage.
 */
export class DocumentRejectedError extends EventfoldError {
  readonly type = 'document-rejected' as const
  constructor(
    readonly collection: string,
    readonly id: string,
    /** What the store said, e.g. its error code and message. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Document ${collection}/${id} was refused by the store: ${reason}`, options)
  }
}
export const isDocumentRejectedError = (e: unknown): e is DocumentRejectedError => e instanceof DocumentRejectedError

/** A projection name was not found among those the application registered. */
export class UnknownProjectionError extends EventfoldError {
  readonly type = 'unknown-projection' as const
  constructor(
    readonly projection: string,
    readonly known: readonly string[] = [],
  ) {
    super(`Unknown projection '${projection}'` + (known.length ? ` (known: ${known.join(', ')})` : ''))
  }
}
export const isUnknownProjectionError = (e: unknown): e is UnknownProjectionError => e instanceof UnknownProjectionError

/** An update or filter uses something the document stores do not support. */
export class InvalidDocumentOperationError extends EventfoldError {
  readonly type = 'invalid-document-operation' as const
  constructor(
    message: string,
    readonly collection: string,
    readonly id?: string,
  ) {
    super(`${collection}${id !== undefined ? `/${id}` : ''}: ${message}`)
  }
}

/** No dead letter has this id. */
export class DeadLetterNotFoundError extends EventfoldError {
  readonly type = 'dead-letter-not-found' as const
  constructor(readonly id: string) {
    super(`No dead letter with id '${id}'`)
  }
}

/**
 * A dead letter was parked from a generation of the read model that readers
 * no longer use (a rebuild or reset replaced it). The generation that
 * replaced it read the event again, so applying the letter would apply it
 * twice: discard it instead.
 */
export class DeadLetterGenerationRetiredError extends EventfoldError {
  readonly type = 'dead-letter-generation-retired' as const
  constructor(
    readonly id: string,
    readonly projection: string,
    readonly letterGeneration: number,
    readonly activeGeneration: number | undefined,
  ) {
    super(
      `Dead letter '${id}' of projection '${projection}' was parked from generation ${letterGeneration}, ` +
        `which is no longer in use (active generation: ${activeGeneration ?? 'none'}); ` +
        'the generation that replaced it read the event again, so it is not applied twice: discard the dead letter',
    )
  }
}
export const isDeadLetterGenerationRetiredError = (e: unknown): e is DeadLetterGenerationRetiredError =>
  e instanceof DeadLetterGenerationRetiredError

/** No projection state publishes a read model under this name: its projection never ran, or does not declare it. */
export class UnknownReadModelError extends EventfoldError {
  readonly type = 'unknown-read-model' as const
  constructor(
    readonly readModel: string,
    readonly known: readonly string[] = [],
  ) {
    super(
      `No read model named '${readModel}': no projection that ran declares this collection` + (known.length ? ` (known: ${known.join(', ')})` : ''),
    )
  }
}
export const isUnknownReadModelError = (e: unknown): e is UnknownReadModelError => e instanceof UnknownReadModelError

/** A read model exists by name but has nothing to serve yet: its projection's first rebuild is still running. */
export class ReadModelNotReadyError extends EventfoldError {
  readonly type = 'read-model-not-ready' as const
  constructor(
    readonly readModel: string,
    readonly projection: string,
    readonly rebuildingGeneration: number | undefined,
  ) {
    super(
      `Read model '${readModel}' of projection '${projection}' has nothing to serve yet: ` +
        `its first rebuild${rebuildingGeneration !== undefined ? ` (generation ${rebuildingGeneration})` : ''} is in progress`,
    )
  }
}
export const isReadModelNotReadyError = (e: unknown): e is ReadModelNotReadyError => e instanceof ReadModelNotReadyError
