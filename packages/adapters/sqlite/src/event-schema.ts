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
 * - `metadata_layout` says that `metadata` is in one of core's
 *   `MetadataLayout`s (an event without user fields), so that reads cut its
 *   values out of the text without checking or parsing it. NULL: anything
 *   else, or a row written before that step (its text is checked on read).
 *   A trigger clears it whenever `metadata` is updated, so that a text
 *   edited by hand is checked (and parsed) again, never cut blindly.
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
  `ALTER TABLE eventfold_events ADD COLUMN metadata_layout INTEGER CHECK (metadata_layout IN (1, 2, 3))`,
  `CREATE TRIGGER eventfold_events_metadata_edited AFTER UPDATE OF metadata ON eventfold_events
     WHEN NEW.metadata_layout IS NOT NULL
     BEGIN UPDATE eventfold_events SET metadata_layout = NULL WHERE position = NEW.position; END`,
]

/**
 * The oldest version of {@link EVENT_SCHEMA} a read-only connection reads
 * (it cannot migrate): version 2 lacks only `metadata_layout`, which reads
 * do without.
 */
export const EVENT_SCHEMA_READABLE_FROM = 2

/** Name of the schema module of {@link EVENT_SCHEMA}. */
export const EVENT_SCHEMA_MODULE = 'eventfold.events'
