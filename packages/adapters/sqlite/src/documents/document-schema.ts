import type Database from 'better-sqlite3'

/** Name of the schema module of {@link DOCUMENT_SCHEMA} in `eventfold_schema`. */
export const DOCUMENT_SCHEMA_MODULE = 'eventfold.documents'

/**
 * The document store's tables, as migration steps of the
 * `'eventfold.documents'` schema module. Released steps never change; a
 * change is a new step.
 *
 * - `eventfold_documents`: one row per document; its primary key index on
 *   (collection, id) makes a collection one contiguous range. A rowid table:
 *   rows are appended and only the small key index takes random inserts, so
 *   bulk writes of random ids stay fast whatever the page cache size. `doc`
 *   and `positions` are JSON text; `revision` is the compare-and-set counter.
 * - `eventfold_checkpoints`: position as decimal TEXT, exact for any bigint.
 * - `eventfold_document_indexes`: the unique indexes declared per collection,
 *   each backed by an SQLite partial expression index named `sql_name`.
 */
export const DOCUMENT_SCHEMA: readonly string[] = [
  `CREATE TABLE eventfold_documents (
     collection TEXT    NOT NULL,
     id         TEXT    NOT NULL,
     doc        TEXT    NOT NULL,
     revision   INTEGER NOT NULL,
     positions  TEXT    NOT NULL,
     PRIMARY KEY (collection, id)
   ) STRICT;
   CREATE TABLE eventfold_checkpoints (
     name     TEXT PRIMARY KEY,
     position TEXT NOT NULL
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE eventfold_document_indexes (
     sql_name   TEXT PRIMARY KEY,
     collection TEXT NOT NULL,
     name       TEXT NOT NULL,
     keys       TEXT NOT NULL
   ) STRICT, WITHOUT ROWID;
   CREATE INDEX eventfold_document_indexes_by_collection ON eventfold_document_indexes (collection);`,
]

/**
 * Brings the document tables of `db` up to date, in one IMMEDIATE
 * transaction, recording the version in the `eventfold_schema` table that
 * every eventfold store of the file shares.
 * @throws Error when the file was written by newer code (a higher version).
 */
export const migrateDocumentSchema = (db: Database.Database): void => {
  db.exec('CREATE TABLE IF NOT EXISTS eventfold_schema (module TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT')
  db.transaction(() => {
    const row = db.prepare<[string], { version: number }>('SELECT version FROM eventfold_schema WHERE module = ?').get(DOCUMENT_SCHEMA_MODULE)
    const current = row?.version ?? 0
    if (current > DOCUMENT_SCHEMA.length) {
      throw new Error(`'${db.name}' has schema '${DOCUMENT_SCHEMA_MODULE}' version ${current}, newer than this code (${DOCUMENT_SCHEMA.length})`)
    }
    if (current === DOCUMENT_SCHEMA.length) return
    for (const step of DOCUMENT_SCHEMA.slice(current)) db.exec(step)
    db.prepare('INSERT INTO eventfold_schema (module, version) VALUES (?, ?) ON CONFLICT (module) DO UPDATE SET version = excluded.version').run(
      DOCUMENT_SCHEMA_MODULE,
      DOCUMENT_SCHEMA.length,
    )
  }).immediate()
}
