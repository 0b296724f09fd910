import { EventfoldError } from './eventfold-error'
import type { ExpectedRevision } from '../events/expected-revision'

const showRevision = (r: ExpectedRevision | bigint | undefined): string =>
  r === undefined ? 'no stream' : typeof r === 'bigint' ? r.toString() : r

/**
 * The stream's current revision does not match the expected revision of an append.
 * Nothing was appended. Reload the aggregate and decide again (the
 * `retryOnConcurrency` middleware does exactly that).
 */
export class ConcurrencyError extends EventfoldError {
  readonly type = 'concurrency' as const
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's revision at the time of the append; `undefined` when the stream does not exist. */
    readonly actual: bigint | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `Append to stream '${streamId}' expected revision ${showRevision(expected)} but the stream is at ${showRevision(actual)}`,
      options,
    )
  }
}
export const isConcurrencyError = (e: unknown): e is ConcurrencyError => e instanceof ConcurrencyError

/** A creating command targeted an aggregate whose stream already exists. */
export class StreamAlreadyExistsError extends EventfoldError {
  readonly type = 'stream-already-exists' as const
  constructor(
    readonly streamId: string,
    readonly actual: bigint,
    options?: { cause?: unknown },
  ) {
    super(`Stream '${streamId}' already exists (at revision ${actual})`, options)
  }
}
export const isStreamAlreadyExistsError = (e: unknown): e is StreamAlreadyExistsError =>
  e instanceof StreamAlreadyExistsError

/** A command targeted an aggregate that has no events yet and the command does not create it. */
export class AggregateNotFoundError extends EventfoldError {
  readonly type = 'aggregate-not-found' as const
  constructor(
    readonly streamId: string,
    readonly commandType?: string,
  ) {
    super(
      `Aggregate stream '${streamId}' does not exist` +
        (commandType ? ` and command '${commandType}' does not create it` : ''),
    )
  }
}
export const isAggregateNotFoundError = (e: unknown): e is AggregateNotFoundError =>
  e instanceof AggregateNotFoundError

/** No handler is registered for the command's type. */
export class UnknownCommandError extends EventfoldError {
  readonly type = 'unknown-command' as const
  constructor(
    readonly commandType: string,
    readonly knownTypes: readonly string[] = [],
  ) {
    super(
      `No handler is registered for command '${commandType}'` +
        (knownTypes.length ? ` (known: ${knownTypes.join(', ')})` : ''),
    )
  }
}
export const isUnknownCommandError = (e: unknown): e is UnknownCommandError => e instanceof UnknownCommandError

/** No handler is registered for the query's type. */
export class UnknownQueryError extends EventfoldError {
  readonly type = 'unknown-query' as const
  constructor(readonly queryType: string) {
    super(`No handler is registered for query '${queryType}'`)
  }
}
export const isUnknownQueryError = (e: unknown): e is UnknownQueryError => e instanceof UnknownQueryError

/** A recorded event's type is not known to the reader (no class, no handler mapping). */
export class UnknownEventTypeError extends EventfoldError {
  readonly type = 'unknown-event-type' as const
  constructor(
    readonly streamId: string,
    readonly revision: bigint,
    readonly eventType: string,
    readonly detail?: string,
  ) {
    super(
      `Event '${eventType}' at ${streamId}@${revision} is not known` + (detail ? `: ${detail}` : ''),
    )
  }
}
export const isUnknownEventTypeError = (e: unknown): e is UnknownEventTypeError =>
  e instanceof UnknownEventTypeError

/** A class was used where a decorated one is required (e.g. an event class without `@Event`). */
export class UndecoratedClassError extends EventfoldError {
  readonly type = 'undecorated-class' as const
  constructor(
    readonly className: string,
    readonly decorator: string,
  ) {
    super(`Class '${className}' is not decorated with @${decorator}(...)`)
  }
}
export const isUndecoratedClassError = (e: unknown): e is UndecoratedClassError =>
  e instanceof UndecoratedClassError

/** A business rule rejected a command. Thrown by application code. */
export class DomainError extends EventfoldError {
  readonly type = 'domain' as const
  constructor(
    message: string,
    /** Optional machine-readable reason, e.g. `'insufficient-funds'`. */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}
export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError

/** One problem found in a command or payload. */
export interface ValidationIssue {
  /** Dotted path of the offending field; empty for the whole object. */
  readonly path: string
  readonly message: string
}

/** A command (or other input) is malformed. Nothing was appended. */
export class ValidationError extends EventfoldError {
  readonly type = 'validation' as const
  constructor(
    message: string,
    readonly issues: readonly ValidationIssue[] = [],
    /** The command type, when the input was a command. */
    readonly commandType?: string,
  ) {
    super(
      issues.length
        ? `${message}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`
        : message,
    )
  }
}
export const isValidationError = (e: unknown): e is ValidationError => e instanceof ValidationError

/** A payload cannot be represented as JSON (BigInt, a cycle, a function, NaN…) or cannot be parsed back. */
export class SerializationError extends EventfoldError {
  readonly type = 'serialization' as const
  constructor(
    message: string,
    /** Path of the offending value inside the payload, e.g. `data.amount`. */
    readonly path: string,
    readonly eventType?: string,
    options?: { cause?: unknown },
  ) {
    super(`${eventType ? `Event '${eventType}': ` : ''}${message}${path ? ` at ${path}` : ''}`, options)
  }
}
export const isSerializationError = (e: unknown): e is SerializationError => e instanceof SerializationError

/** An event's stored schema version cannot be lifted to the current one: an upcaster is missing. */
export class MissingUpcasterError extends EventfoldError {
  readonly type = 'missing-upcaster' as const
  constructor(
    readonly eventType: string,
    readonly fromVersion: number,
    readonly toVersion: number,
    readonly streamId?: string,
    readonly revision?: bigint,
  ) {
    super(
      `No upcaster lifts '${eventType}' from version ${fromVersion} toward ${toVersion}` +
        (streamId !== undefined ? ` (at ${streamId}@${revision})` : ''),
    )
  }
}
export const isMissingUpcasterError = (e: unknown): e is MissingUpcasterError =>
  e instanceof MissingUpcasterError

/**
 * A metadata field was read on an event whose read left metadata out
 * (`readStream(..., { readMetadata: false })`): only `schemaVersion` was read.
 * An aggregate load leaves it out when no handler is declared with the
 * recorded event's parameter; declare it to read metadata.
 */
export class MetadataNotReadError extends EventfoldError {
  readonly type = 'metadata-not-read' as const
  constructor(readonly field: string) {
    super(
      `metadata.${field} was not read: this read left metadata out (readMetadata: false); ` +
        `a handler that reads metadata must declare the recorded event's parameter`,
    )
  }
}
export const isMetadataNotReadError = (e: unknown): e is MetadataNotReadError => e instanceof MetadataNotReadError

/** One or more in-process event handlers failed after their retries. The events were already committed. */
export class EventHandlerError extends EventfoldError {
  readonly type = 'event-handler' as const
  constructor(
    readonly eventType: string,
    readonly streamId: string,
    readonly revision: bigint,
    readonly handler: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(
      `Handler '${handler}' failed on '${eventType}' at ${streamId}@${revision} after ${attempts} attempt(s): ${String(
        (options.cause as Error)?.message ?? options.cause,
      )}`,
      options,
    )
  }
}
export const isEventHandlerError = (e: unknown): e is EventHandlerError => e instanceof EventHandlerError

/** The store was used after `close()`. */
export class StoreClosedError extends EventfoldError {
  readonly type = 'store-closed' as const
  constructor(readonly store: string) {
    super(`${store} is closed`)
  }
}

/**
 * A store failed in a way retrying cannot fix: its file is read-only, full,
 * corrupt, missing or not a database of this kind. Workers stop on it
 * instead of retrying; `location` names the file (or server) to look at.
 */
export class PermanentStoreError extends EventfoldError {
  readonly type = 'permanent-store' as const
  constructor(
    /** The kind of store, e.g. `'SQLite'`. */
    readonly store: string,
    /** The file (or address) of the store. */
    readonly location: string,
    /** What is wrong with it, e.g. `'is read-only'`. */
    readonly problem: string,
    /** The driver's error code, when there is one (e.g. `'SQLITE_READONLY'`). */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(`${store} file ${location} ${problem}${code ? ` (${code})` : ''}`, options)
  }
}
/** True for a {@link PermanentStoreError}, also one from another copy of the package (matched by `type`). */
export const isPermanentStoreError = (e: unknown): e is PermanentStoreError =>
  e instanceof PermanentStoreError || (typeof e === 'object' && e !== null && (e as { type?: unknown }).type === 'permanent-store')
