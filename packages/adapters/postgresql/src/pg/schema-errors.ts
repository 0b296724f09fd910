import { EventfoldError } from '@eventfold/core'

/**
 * A read-only store found the tables of its schema module missing, or at
 * another migration version than this code expects (`found` is `undefined`
 * when there are none). A read-only store never creates nor migrates them:
 * open the store for writing once, or point it at the right schema.
 */
export class PostgresSchemaMissingError extends EventfoldError {
  readonly type = 'postgres-schema-missing' as const
  constructor(
    /** The PostgreSQL schema looked in. */
    readonly schema: string,
    /** The schema module, e.g. `'eventfold.events'`. */
    readonly module: string,
    /** The version this code expects. */
    readonly expected: number,
    /** The version found, `undefined` when the tables are missing. */
    readonly found?: number,
  ) {
    super(
      found === undefined
        ? `PostgreSQL schema '${schema}' has no '${module}' tables, and a read-only store cannot create them`
        : `PostgreSQL schema '${schema}' has '${module}' at version ${found}, this code expects ${expected}, and a read-only store cannot migrate it`,
    )
  }
}

/** True for a {@link PostgresSchemaMissingError}, also one from another copy of the package (matched by `type`). */
export const isPostgresSchemaMissingError = (e: unknown): e is PostgresSchemaMissingError =>
  e instanceof PostgresSchemaMissingError || (typeof e === 'object' && e !== null && (e as { type?: unknown }).type === 'postgres-schema-missing')

/** A write (`operation`) was called on a store opened with `readOnly`; nothing was sent to the server. */
export class PostgresReadOnlyError extends EventfoldError {
  readonly type = 'postgres-read-only' as const
  constructor(
    /** The store, e.g. `'PostgresEventStore'`. */
    readonly store: string,
    /** The PostgreSQL schema of the store. */
    readonly schema: string,
    /** The refused method, e.g. `'appendToStream'`. */
    readonly operation: string,
  ) {
    super(`${store} on schema '${schema}' is read-only: ${operation} refused`)
  }
}

/** True for a {@link PostgresReadOnlyError}, also one from another copy of the package (matched by `type`). */
export const isPostgresReadOnlyError = (e: unknown): e is PostgresReadOnlyError =>
  e instanceof PostgresReadOnlyError || (typeof e === 'object' && e !== null && (e as { type?: unknown }).type === 'postgres-read-only')
