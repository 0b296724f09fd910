import type Database from 'better-sqlite3'
import type { SqliteConnection } from './sqlite-connection'
import type { LogRow } from './event-statements'
import { streamRowSql } from './stream-row'

/** Name of the index on `metadata.correlationId`. */
export const CORRELATION_INDEX = 'eventfold_events_correlation'

/**
 * The correlation id of a row. `json_extract` fails on text that is not
 * JSON, and an index on it would then refuse to be built on a file holding
 * one such row, and refuse writing one: such a row has no correlation id.
 */
const CORRELATION_ID = `(CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.correlationId') END)`

/**
 * The index that finds the events of one correlation id, as a schema module
 * of its own (`'eventfold.events.correlation'`): a file written by older code
 * gets it the next time a store opens it for writing, and a store opened
 * read-only does not require it (it scans instead). Partial, so events
 * without a correlation id cost it nothing.
 */
export const CORRELATION_SCHEMA: readonly string[] = [
  `CREATE INDEX IF NOT EXISTS ${CORRELATION_INDEX} ON eventfold_events ${CORRELATION_ID} WHERE ${CORRELATION_ID} IS NOT NULL`,
]

/** Name of the schema module of {@link CORRELATION_SCHEMA}. */
export const CORRELATION_SCHEMA_MODULE = 'eventfold.events.correlation'

// The expression is the index's own, so that the planner uses it; the partial index's condition follows from `=`.
// A file with this index was opened for writing since, so it has every schema step (the layout column too).
export const CORRELATED_SQL = `SELECT stream_id, ${streamRowSql(true)} FROM eventfold_events INDEXED BY ${CORRELATION_INDEX}
  WHERE ${CORRELATION_ID} = @correlationId AND position > @after ORDER BY position LIMIT @limit + 0`

/** True when the file has the correlation index (a file only ever opened read-only since older code wrote it has not). */
export const hasCorrelationIndex = (db: Database.Database): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(CORRELATION_INDEX) !== undefined

/** Prepares the page query of a correlation lookup. */
export const prepareCorrelated = (db: Database.Database): Database.Statement<{ correlationId: string; after: bigint; limit: number }, LogRow> =>
  db.prepare<{ correlationId: string; after: bigint; limit: number }, LogRow>(CORRELATED_SQL).raw(true)

/**
 * Creates or drops the correlation index on a connection that may write. The
 * schema module records that a file was offered the index; a file whose index
 * was dropped since gets it back from the same statement.
 */
export const setCorrelationIndex = (connection: SqliteConnection, wanted: boolean): void => {
  const { db } = connection
  if (!wanted) {
    if (hasCorrelationIndex(db)) db.exec(`DROP INDEX ${CORRELATION_INDEX}`)
    return
  }
  // A module of its own: read-only opens of files that older code wrote still work, and scan for correlation ids.
  connection.migrate(CORRELATION_SCHEMA_MODULE, CORRELATION_SCHEMA)
  if (!hasCorrelationIndex(db)) for (const statement of CORRELATION_SCHEMA) db.exec(statement)
}
