import type { QueryConfig } from 'pg'
import { Statements } from '../pg/statements'

/**
 * True when every document the `locked` CTE locked is at the revision the
 * commit expects. It reads the whole CTE before the statement produces its
 * first row: it has no column of the statement's tables, so PostgreSQL
 * evaluates it first, as a one-time filter. When it is false the statement
 * writes nothing, and its row count tells that a compare-and-set missed.
 */
const LOCKED_AS_EXPECTED = '(SELECT bool_and(expected) IS NOT FALSE FROM locked)'

/**
 * Every statement of the document store, on the tables of one schema. Each
 * is a named (server-side prepared) statement, its name derived from its text.
 *
 * The bulk statements take a commit's writes of one kind as one JSON array
 * (`jsonb_to_recordset`): one round trip per kind, whatever the number of
 * documents; their row counts tell which compare-and-sets missed. The first
 * of a commit also locks all its documents, in key order, before it writes.
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

  /** The revisions of the stored documents among `keys` (elements `{c, i}`). */
  revisions(keys: string): QueryConfig {
    return this.statement(
      'revisions',
      `SELECT t.collection, t.id, t.revision FROM ${this.documents} AS t
       WHERE (t.collection, t.id) IN (SELECT k.c, k.i FROM jsonb_to_recordset($1::jsonb) AS k(c text, i text))`,
      [keys],
    )
  }

  /** Locks the stored documents among `keys` (elements `{c, i, e}`) for update, in primary-key order (see {@link locking}). */
  lockMany(keys: string): QueryConfig {
    return this.statement('lockMany', `${this.locking()} SELECT count(*) FROM locked`, [keys])
  }

  /**
   * Deletes the documents (elements `{c, i, e}`) whose revision is `e`,
   * having locked and checked the documents among `locks` (see {@link locking}).
   */
  deleteMany(writes: string, locks: string): QueryConfig {
    return this.statement(
      'deleteMany',
      `${this.locking(2)}
       DELETE FROM ${this.documents} AS t
       USING jsonb_to_recordset($1::jsonb) AS w(c text, i text, e bigint)
       WHERE t.collection = w.c AND t.id = w.i AND t.revision = w.e AND ${LOCKED_AS_EXPECTED}`,
      [writes, locks],
    )
  }

  /**
   * Replaces the documents (elements `{c, i, d, r, p, e}`) whose revision is
   * `e`, having locked and checked the documents among `locks` (see {@link locking}).
   */
  updateMany(writes: string, locks: string): QueryConfig {
    return this.statement(
      'updateMany',
      `${this.locking(2)}
       UPDATE ${this.documents} AS t SET doc = w.d, revision = w.r, positions = w.p
       FROM jsonb_to_recordset($1::jsonb) AS w(c text, i text, d jsonb, r bigint, p jsonb, e bigint)
       WHERE t.collection = w.c AND t.id = w.i AND t.revision = w.e AND ${LOCKED_AS_EXPECTED}`,
      [writes, locks],
    )
  }

  /**
   * Inserts the documents (elements `{c, i, d, r, p}`) that do not exist yet,
   * having locked and checked the documents among `locks` (see {@link locking}); the
   * count says how many did not. Rows go in primary-key order: an insert
   * waits for another transaction's insert of the same key, and in one order
   * two commits inserting the same new documents cannot wait on each other.
   */
  insertMany(writes: string, locks: string): QueryConfig {
    return this.statement(
      'insertMany',
      `${this.locking(2)}
       INSERT INTO ${this.documents} (collection, id, doc, revision, positions)
       SELECT w.c, w.i, w.d, w.r, w.p FROM jsonb_to_recordset($1::jsonb) AS w(c text, i text, d jsonb, r bigint, p jsonb)
       WHERE ${LOCKED_AS_EXPECTED}
       ORDER BY w.c COLLATE "C", w.i COLLATE "C"
       ON CONFLICT (collection, id) DO NOTHING`,
      [writes, locks],
    )
  }

  /**
   * The CTE `locked`: the stored documents among the keys of parameter
   * `param` (elements `{c, i, e}`, `e` the expected revision, 0 for none),
   * locked for update in primary-key order, each with whether it is at the
   * expected revision. The sort runs below the row locking, so every commit
   * that starts this way takes its locks in that one order, and two commits
   * never wait on each other in a cycle, whatever the order of their
   * writes. A document another commit changed while this one waited is
   * read as that commit left it. A statement that starts with it and
   * filters on {@link LOCKED_AS_EXPECTED} locks them all before it writes
   * (or locks) a row itself, and writes nothing when one moved.
   */
  private locking(param = 1): string {
    return `WITH locked AS (
         SELECT l.revision = k.e AS expected
         FROM ${this.documents} AS l
         JOIN jsonb_to_recordset($${param}::jsonb) AS k(c text, i text, e bigint) ON l.collection = k.c AND l.id = k.i
         ORDER BY l.collection, l.id
         FOR UPDATE OF l
       )`
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
