/**
 * The event log's tables, as migration steps of the `'eventfold.events'`
 * schema module. Released steps never change; a change is a new step.
 *
 * - `position` is the rowid, so reads in global order walk the table itself;
 *   AUTOINCREMENT keeps a position from ever being handed out twice, even
 *   after the newest rows were deleted.
 * - `UNIQUE (stream_id, revision)` is the stream index: reading a stream and
 *   finding its last revision are O(log n) seeks, and no two writers can ever
 *   store the same revision of a stream.
 * - `UNIQUE (event_id)` makes idempotent retries an index lookup.
 * - `schema_version` repeats `metadata.schemaVersion`, so that reads can
 *   upcast without parsing the metadata. Rows written before that step hold
 *   NULL there, and their version is read from the metadata.
 */
export const EVENT_SCHEMA: readonly string[] = [
  `CREATE TABLE eventfold_events (
     position  INTEGER PRIMARY KEY AUTOINCREMENT,
     stream_id TEXT    NOT NULL,
     revision  INTEGER NOT NULL CHECK (revision >= 0),
     event_id  TEXT    NOT NULL UNIQUE,
     type      TEXT    NOT NULL,
     data      TEXT    NOT NULL,
     metadata  TEXT    NOT NULL,
     UNIQUE (stream_id, revision)
   ) STRICT`,
  `ALTER TABLE eventfold_events ADD COLUMN schema_version INTEGER`,
]

/** Name of the schema module of {@link EVENT_SCHEMA}. */
export const EVENT_SCHEMA_MODULE = 'eventfold.events'
