import type { SchemaModule } from '../pg/migrate'

/** Name of the unique index that keeps one event per (stream, revision): its violation is a lost race. */
export const STREAM_REVISION_CONSTRAINT = 'eventfold_events_stream_revision_key'
/** Name of the unique index on event ids: its violation is a retried or duplicated event. */
export const EVENT_ID_CONSTRAINT = 'eventfold_events_event_id_key'

/**
 * The event log's table, as migration steps of the `'eventfold.events'`
 * schema module.
 *
 * - `position` is the primary key: reads in global order walk its index. It
 *   is made from the appending transaction's id (see `position.ts`), so no
 *   sequence is needed, and none can leave holes.
 * - `UNIQUE (stream_id, revision)` is the stream index (reading a stream and
 *   finding its last revision are index seeks) and the optimistic lock: two
 *   appends can never both store a revision.
 * - `UNIQUE (event_id)` makes idempotent retries an index lookup.
 * - Text columns use the "C" collation: byte order, exact prefix matching,
 *   and the fastest comparisons, whatever the database's locale.
 */
export const EVENT_SCHEMA: SchemaModule = {
  name: 'eventfold.events',
  steps: [
    (schema) => `CREATE TABLE ${schema}.eventfold_events (
      position  bigint  NOT NULL PRIMARY KEY CHECK (position >= 0),
      stream_id text    COLLATE "C" NOT NULL,
      revision  bigint  NOT NULL CHECK (revision >= 0),
      event_id  text    COLLATE "C" NOT NULL,
      type      text    COLLATE "C" NOT NULL,
      data      jsonb   NOT NULL,
      metadata  jsonb   NOT NULL,
      CONSTRAINT ${STREAM_REVISION_CONSTRAINT} UNIQUE (stream_id, revision),
      CONSTRAINT ${EVENT_ID_CONSTRAINT} UNIQUE (event_id)
    )`,
  ],
}

/** Name of the index on `metadata.correlationId`. */
export const CORRELATION_INDEX = 'eventfold_events_correlation'

/**
 * The index that finds the events of one correlation id, as a schema module
 * of its own (`'eventfold.events.correlation'`): a schema written by older
 * code gets it the next time a store that may write starts, and a read-only
 * store does not require it (it scans instead). Partial, so events without
 * a correlation id cost it nothing.
 */
export const CORRELATION_SCHEMA: SchemaModule = {
  name: 'eventfold.events.correlation',
  steps: [
    (schema) => `CREATE INDEX IF NOT EXISTS ${CORRELATION_INDEX} ON ${schema}.eventfold_events ((metadata ->> 'correlationId'))
      WHERE (metadata ->> 'correlationId') IS NOT NULL`,
  ],
}
