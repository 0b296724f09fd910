/**
 * The snapshot table, as migration steps of the `'eventfold.snapshots'`
 * schema module: one row per stream, the newest snapshot only.
 */
export const SNAPSHOT_SCHEMA: readonly string[] = [
  `CREATE TABLE eventfold_snapshots (
     stream_id      TEXT    PRIMARY KEY,
     revision       INTEGER NOT NULL CHECK (revision >= 0),
     schema_version INTEGER NOT NULL,
     state          TEXT    NOT NULL,
     taken_at       TEXT    NOT NULL
   ) STRICT, WITHOUT ROWID`,
]

/** Name of the schema module of {@link SNAPSHOT_SCHEMA}. */
export const SNAPSHOT_SCHEMA_MODULE = 'eventfold.snapshots'
