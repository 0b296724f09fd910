/**
 * The deadline table, as migration steps of the `'eventfold.deadlines'`
 * schema module: one row per scope and name, kept after it fired (or was
 * parked) so that `eventfold deadlines list` shows what happened.
 */
export const DEADLINE_SCHEMA: readonly string[] = [
  `CREATE TABLE eventfold_deadlines (
     scope        TEXT    NOT NULL,
     name         TEXT    NOT NULL,
     id           TEXT    NOT NULL,
     due_at       INTEGER NOT NULL,
     payload      TEXT    NOT NULL,
     scheduled_at INTEGER NOT NULL,
     state        TEXT    NOT NULL CHECK (state IN ('pending', 'fired', 'parked')),
     token        INTEGER NOT NULL DEFAULT 0,
     owner        TEXT,
     lease_until  INTEGER NOT NULL DEFAULT 0,
     settled_at   INTEGER,
     error        TEXT,
     PRIMARY KEY (scope, name)
   ) STRICT`,
  `CREATE INDEX eventfold_deadlines_due ON eventfold_deadlines (state, due_at)`,
]

/** Name of the schema module of {@link DEADLINE_SCHEMA}. */
export const DEADLINE_SCHEMA_MODULE = 'eventfold.deadlines'
