import type { QueryConfig } from 'pg'
import { Statements } from '../pg/statements'

/**
 * Every statement of the document store, on the tables of one schema. Each
 * is a named (server-side prepared) statement, its name derived from its text.
 *
 * The bulk statements take a commit's writes of one kind as one JSON array
 * (`jsonb_to_recordset`): one round trip per kind, whatever the number of
 * documents; their row counts tell which compare-and-sets missed.
 */
export class DocumentSql extends Statements {
  readonly documents: string
  private readonly checkpoints: string
  private readonly indexes: string

  /** @param schema the schema, already quoted. */
  constructor(schema: string) {
    super()
    this.documents = `${schema}.eventfold_documents`
    this.checkpoints = `${schema}.eventfold_checkpoints`
    this.indexes = `${schema}.eventfold_document_indexes`
  }

  get(collection: string, id: string): QueryConfig {
    return this.statement('get', `SELECT doc FROM ${this.documents} WHERE collection = $1 AND id = $2`, [collection, id])
  }

  getMany(collection: string, ids: readonly string[]): QueryConfig {
    return this.statement(
      'getMany',
      `SELECT id, doc, revision, positions FROM ${this.documents} WHERE collection = $1 AND id = ANY ($2::text[])`,
      [collection, [...ids]],
    )
  }

  scan(collection: string): QueryConfig {
    return this.statement('scan', `SELECT doc FROM ${this.documents} WHERE collection = $1`, [collection])
  }

  countAll(collection: string): QueryConfig {
    return this.statement('countAll', `SELECT count(*) AS count FROM ${this.documents} WHERE collection = $1`, [collection])
  }

  revision(collection: string, id: string): QueryConfig {
    return this.statement('revision', `SELECT revision FROM ${this.documents} WHERE collection = $1 AND id = $2`, [collection, id])
  }

  /** Inserts the documents (elements `{c, i, d, r, p}`) that do not exist yet; the count says how many did not. */
  insertMany(writes: string): QueryConfig {
    return this.statement(
      'insertMany',
      `INSERT INTO ${this.documents} (collection, id, doc, revision, positions)
       SELECT w.c, w.i, w.d, w.r, w.p FROM jsonb_to_recordset($1::jsonb) AS w(c text, i text, d jsonb, r bigint, p jsonb)
       ON CONFLICT (collection, id) DO NOTHING`,
      [writes],
    )
  }

  /** Replaces the documents (elements `{c, i, d, r, p, e}`) whose revision is `e`. */
  updateMany(writes: string): QueryConfig {
    return this.statement(
      'updateMany',
      `UPDATE ${this.documents} AS t SET doc = w.d, revision = w.r, positions = w.p
       FROM jsonb_to_recordset($1::jsonb) AS w(c text, i text, d jsonb, r bigint, p jsonb, e bigint)
       WHERE t.collection = w.c AND t.id = w.i AND t.revision = w.e`,
      [writes],
    )
  }

  /** Deletes the documents (elements `{c, i, e}`) whose revision is `e`. */
  deleteMany(writes: string): QueryConfig {
    return this.statement(
      'deleteMany',
      `DELETE FROM ${this.documents} AS t
       USING jsonb_to_recordset($1::jsonb) AS w(c text, i text, e bigint)
       WHERE t.collection = w.c AND t.id = w.i AND t.revision = w.e`,
      [writes],
    )
  }

  insert(collection: string, id: string, doc: string, revision: number, positions: string): QueryConfig {
    return this.statement(
      'insert',
      `INSERT INTO ${this.documents} (collection, id, doc, revision, positions) VALUES ($1, $2, $3::jsonb, $4, $5::jsonb)
       ON CONFLICT (collection, id) DO NOTHING`,
      [collection, id, doc, revision, positions],
    )
  }

  update(collection: string, id: string, doc: string, revision: number, positions: string, expected: number): QueryConfig {
    return this.statement(
      'update',
      `UPDATE ${this.documents} SET doc = $3::jsonb, revision = $4, positions = $5::jsonb
       WHERE collection = $1 AND id = $2 AND revision = $6`,
      [collection, id, doc, revision, positions, expected],
    )
  }

  delete(collection: string, id: string, expected: number): QueryConfig {
    return this.statement('delete', `DELETE FROM ${this.documents} WHERE collection = $1 AND id = $2 AND revision = $3`, [
      collection,
      id,
      expected,
    ])
  }

  deleteCollection(collection: string): QueryConfig {
    return this.statement('deleteCollection', `DELETE FROM ${this.documents} WHERE collection = $1`, [collection])
  }

  /**
   * The collections whose name starts with `prefix`, in name order: a loose
   * index scan that seeks from one collection to the next along the
   * primary key, one seek per collection, however many documents each holds.
   */
  collections(prefix: string): QueryConfig {
    return this.statement(
      'collections',
      `WITH RECURSIVE c(collection) AS (
         (SELECT collection FROM ${this.documents} WHERE collection >= $1 ORDER BY collection LIMIT 1)
         UNION ALL
         SELECT (SELECT d.collection FROM ${this.documents} AS d WHERE d.collection > c.collection ORDER BY d.collection LIMIT 1)
         FROM c WHERE c.collection IS NOT NULL AND starts_with(c.collection, $1)
       )
       SELECT collection FROM c WHERE collection IS NOT NULL AND starts_with(collection, $1)`,
      [prefix],
    )
  }

  saveCheckpoint(name: string, position: bigint): QueryConfig {
    return this.statement(
      'saveCheckpoint',
      `INSERT INTO ${this.checkpoints} (name, position) VALUES ($1, $2::numeric)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
      [name, position.toString()],
    )
  }

  readCheckpoint(name: string): QueryConfig {
    return this.statement('readCheckpoint', `SELECT position::text AS position FROM ${this.checkpoints} WHERE name = $1`, [name])
  }

  deleteCheckpoints(names: readonly string[]): QueryConfig {
    return this.statement('deleteCheckpoints', `DELETE FROM ${this.checkpoints} WHERE name = ANY ($1::text[])`, [[...names]])
  }

  listCheckpoints(prefix: string): QueryConfig {
    return this.statement(
      'listCheckpoints',
      `SELECT name, position::text AS position FROM ${this.checkpoints} WHERE starts_with(name, $1) ORDER BY name`,
      [prefix],
    )
  }

  recordIndex(sqlName: string, collection: string, name: string, keys: string): QueryConfig {
    return this.statement(
      'recordIndex',
      `INSERT INTO ${this.indexes} (sql_name, collection, name, keys) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (sql_name) DO NOTHING`,
      [sqlName, collection, name, keys],
    )
  }

  indexesOf(collection: string): QueryConfig {
    return this.statement('indexesOf', `SELECT sql_name FROM ${this.indexes} WHERE collection = $1`, [collection])
  }

  forgetIndexes(collection: string): QueryConfig {
    return this.statement('forgetIndexes', `DELETE FROM ${this.indexes} WHERE collection = $1`, [collection])
  }
}
