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
