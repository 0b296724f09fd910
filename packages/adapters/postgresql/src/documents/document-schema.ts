import type { SchemaModule } from '../pg/migrate'

/**
 * The document store's tables, as migration steps of the
 * `'eventfold.documents'` schema module.
 *
 * - `eventfold_documents`: one row per document, keyed by (collection, id),
 *   so a collection is one contiguous range of the primary key. `doc` and
 *   `positions` are jsonb; `revision` is the compare-and-set counter.
 * - `eventfold_checkpoints`: position as numeric, exact for any bigint.
 * - `eventfold_document_indexes`: the unique indexes declared per
 *   collection, each backed by a partial expression index named `sql_name`.
 * - Names use the "C" collation: byte order keeps the names that share a
 *   prefix together, whatever the database's locale.
 */
export const DOCUMENT_SCHEMA: SchemaModule = {
  name: 'eventfold.documents',
  steps: [
    (schema) => `
      CREATE TABLE ${schema}.eventfold_documents (
        collection text   COLLATE "C" NOT NULL,
        id         text   COLLATE "C" NOT NULL,
        doc        jsonb  NOT NULL,
        revision   bigint NOT NULL CHECK (revision >= 0),
        positions  jsonb  NOT NULL,
        PRIMARY KEY (collection, id)
      );
      CREATE TABLE ${schema}.eventfold_checkpoints (
        name     text    COLLATE "C" PRIMARY KEY,
        position numeric NOT NULL CHECK (position >= 0 AND position = trunc(position))
      );
      CREATE TABLE ${schema}.eventfold_document_indexes (
        sql_name   text  PRIMARY KEY,
        collection text  COLLATE "C" NOT NULL,
        name       text  NOT NULL,
        keys       jsonb NOT NULL
      );
      CREATE INDEX eventfold_document_indexes_by_collection ON ${schema}.eventfold_document_indexes (collection);`,
  ],
}
