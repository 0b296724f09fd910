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
