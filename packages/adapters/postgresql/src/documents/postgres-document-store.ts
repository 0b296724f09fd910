import { inspect } from 'node:util'
import { StoreClosedError } from '@eventfold/core'
import { toJson } from '@eventfold/core/spi'
import { DocumentConflictError, DuplicateDocumentError, InvalidDocumentOperationError, type Document, type DocumentStore, type Filter, type FindOptions, type IndexSpec } from '@eventfold/projections'
import { query, type CheckpointWrite, type CommitRequest, type CommitResult, type DocumentMeta, type DocumentStoreCapabilities, type DocumentWrite, type PublishedReadModel, type StoredDocument, assertCheckpointName, assertCollectionName, assertCollectionPrefix, assertCommitRequest, assertDocumentKey, assertFilter, assertFindOptions, assertIndexSpec } from '@eventfold/projections/spi'
import type pg from 'pg'
import { quoteIdent, quoteLiteral } from '../pg/identifiers'
import { checkSchema, migrate } from '../pg/migrate'
import { PostgresReadOnlyError } from '../pg/schema-errors'
import { warn } from '../pg/warn'
import { inTransaction, inspectStore, resolvePool, type PostgresSource } from '../pg/pool'
import { isDocumentIndexViolation, isDocumentWriteError, isTransactionConflict, translateDocumentError } from './document-errors'
import { DOCUMENT_SCHEMA } from './document-schema'
import { DocumentSql } from './document-sql'
import { uniqueIndexSql } from './unique-index'

/** Options of {@link PostgresDocumentStore}. */
export interface PostgresDocumentStoreOptions {
  /** Schema of the document tables; created on first use when missing (unless `readOnly`). @default 'public' */
  readonly schema?: string
  /**
   * Told about errors of idle clients of a pool the store opened (the pool
   * replaces them).
   * @default process.emitWarning
   */
  readonly onError?: (error: unknown) => void
  /**
   * Open the read models for reading only, as the CLI's read commands do:
   * the store creates and migrates nothing, checks that its tables exist at
   * the version this code expects, and refuses `commit`, `deleteCheckpoints`,
   * `ensureIndexes` and `dropCollection` before sending anything.
   * The sessions of a pool the store opens are read-only too (`default_transaction_read_only`).
   * @default false
   */
  readonly readOnly?: boolean
}

/** A write with its JSON already made, so that serialization fails before anything is sent. */
type RowWrite =
  | {
      readonly kind: 'put'
      readonly collection: string
      readonly id: string
      readonly doc: string
      readonly revision: number
      readonly positions: string
      readonly expectedRevision: number
    }
  | { readonly kind: 'delete'; readonly collection: string; readonly id: string; readonly expectedRevision: number }

/** A bulk commit missed a compare-and-set: it is rolled back, and the document that moved named. */
const RERUN = Symbol('rerun write by write')

/**
 * The {@link DocumentStore} on PostgreSQL (`pg`): read models as jsonb rows
 * of `<schema>.eventfold_documents` keyed by (collection, id), checkpoints
 * beside them. A commit is one transaction: its writes and its checkpoint
 * are stored together or not at all (`capabilities.transactions`).
 *
 * A commit sends one multi-row statement per kind of write (deletes,
 * replacements, inserts), each a compare-and-set on the revision whose row
 * count tells whether every document was where the batch expected it. When
 * one was not, the transaction is rolled back and the first document that
 * moved is named in a `DocumentConflictError`; when a unique index refused
 * a value, the commit is rerun write by write, in order, to name the
 * document in a `DuplicateDocumentError`.
 *
 * Commits of several writes lock their stored documents in one global
 * order, (collection, id), as their first statement starts, and insert new
 * ones in that order too, so that concurrent commits over the same
 * documents queue instead of deadlocking. Should PostgreSQL still abort a
 * commit for a concurrent one (a deadlock through a unique index, a
 * serialization failure), the commit fails with the retryable
 * `DocumentConflictError`.
 *
 * Filters, sorting and update operators are MongoDB's, evaluated by mingo
 * (through `@eventfold/projections`) over the collection's rows. Unique
 * indexes are real PostgreSQL partial expression indexes.
 * @example
 * ```ts
 * const documents = new PostgresDocumentStore(pool, { schema: 'read_models' })
 * await documents.find('account_balances', { balance: { $gt: 0 } }, { sort: { balance: -1 } })
 * ```
 */
export class PostgresDocumentStore implements DocumentStore {
  readonly capabilities: DocumentStoreCapabilities = { transactions: true }
  private readonly pool: pg.Pool
  private readonly ownsPool: boolean
  private readonly schema: string
  private readonly sql: DocumentSql
  private readonly readOnly: boolean
  private migrated: Promise<void> | undefined
  private closed = false
  private shutdown: Promise<void> | undefined

  /**
   * @param source a `pg.Pool` to borrow (the store never ends it), or a
   * connection string or pool config for a pool of its own (ended by `close()`).
   */
  constructor(source: PostgresSource, { schema = 'public', onError = warn, readOnly = false }: PostgresDocumentStoreOptions = {}) {
    if (schema.length === 0) throw new RangeError('schema must not be empty')
    const { pool, owned } = resolvePool(source, onError, { readOnly })
    this.pool = pool
    this.ownsPool = owned
    this.schema = schema
    this.sql = new DocumentSql(quoteIdent(schema))
    this.readOnly = readOnly
  }

  [inspect.custom](): string {
    return inspectStore('PostgresDocumentStore', this.schema)
  }

  async get(collection: string, id: string): Promise<Document | undefined> {
    assertDocumentKey(collection, id)
    const [row] = await this.rows<{ doc: Document }>(this.sql.get(collection, id))
    return row?.doc
  }

  async getMany(collection: string, ids: readonly string[]): Promise<Map<string, StoredDocument>> {
    for (const id of ids) assertDocumentKey(collection, id)
    const found = new Map<string, StoredDocument>()
    if (ids.length === 0) {
      this.assertOpen()
      return found
    }
    const rows = await this.rows<{ id: string; doc: Document; revision: bigint; positions: DocumentMeta['positions'] }>(
      this.sql.getMany(collection, ids),
    )
    for (const row of rows) found.set(row.id, { doc: row.doc, meta: { revision: Number(row.revision), positions: row.positions } })
    return found
  }

  async find(collection: string, filter?: Filter, options?: FindOptions): Promise<Document[]> {
    assertCollectionName(collection)
    assertFilter(collection, filter)
    assertFindOptions(collection, options)
    return query(await this.documentsOf(collection), filter, options)
  }

  async count(collection: string, filter?: Filter): Promise<number> {
    assertCollectionName(collection)
    assertFilter(collection, filter)
    if (!filter || Object.keys(filter).length === 0) {
      const [row] = await this.rows<{ count: bigint }>(this.sql.countAll(collection))
      return Number(row?.count ?? 0n)
    }
    return query(await this.documentsOf(collection), filter).length
  }

  /**
   * Applies the writes, then stores the checkpoint, in one transaction: on
   * any error nothing of the commit is stored.
   * @throws {@link DocumentConflictError} when a document is not at the expected revision,
   * or PostgreSQL aborted the commit for a concurrent one (read again and retry).
   * @throws {@link DuplicateDocumentError} when a write breaks a unique index.
   * @throws {@link SerializationError} when a document cannot be written as JSON.
   * @throws {@link DocumentRejectedError} when jsonb cannot hold a value of a document (e.g. `\u0000`).
   * @throws {@link InvalidDocumentOperationError} when a read model is published under the name of a table, index or sequence of the schema.
   */
  async commit(request: CommitRequest): Promise<CommitResult> {
    this.assertWritable('commit')
    assertCommitRequest(request)
    const { writes, checkpoint, fence, publish = [] } = request
    // The fence goes first: its conflict is the one reported, and the transaction writes nothing.
    const rows = (fence ? [fence, ...writes] : writes).map(toRowWrite)
    if (rows.length === 0 && !checkpoint && publish.length === 0) return { writes: 0 }
    await this.ready()
    if (rows.length === 0 && publish.length === 0) {
      await this.pool.query(this.sql.saveCheckpoint(checkpoint!.name, checkpoint!.position))
      return { writes: 0 }
    }
    if (rows.length === 0) {
      await inTransaction(this.pool, async (client) => {
        await this.lockDdl(client)
        if (checkpoint) await client.query(this.sql.saveCheckpoint(checkpoint.name, checkpoint.position))
        await this.publishViews(client, publish)
      })
      return { writes: 0 }
    }
    if (!canBulk(rows) || !(await this.commitBulk(rows, checkpoint, publish))) await this.commitWriteByWrite(rows, checkpoint, publish)
    return { writes: writes.length }
  }

  /**
   * {@link commit}'s work inside a transaction the caller holds on `client`
   * (a client of this store's database and schema): for stores that commit
   * documents with rows of their own in one transaction (the messaging
   * inbox). Writes go one by one, after locking their documents in key order.
   * @throws what {@link commit} throws; the caller rolls its transaction back.
   */
  async commitWithin(client: pg.PoolClient, request: CommitRequest): Promise<number> {
    this.assertWritable('commit')
    assertCommitRequest(request)
    const { writes, checkpoint, fence, publish = [] } = request
    const rows = (fence ? [fence, ...writes] : writes).map(toRowWrite)
    if (publish.length > 0) await this.lockDdl(client)
    if (rows.length > 1) await client.query(this.sql.lockMany(keysOf(rows)))
    for (const row of rows) await this.applyOne(client, row)
    if (checkpoint) await client.query(this.sql.saveCheckpoint(checkpoint.name, checkpoint.position))
    await this.publishViews(client, publish)
    return writes.length
  }

  async readCheckpoint(name: string): Promise<bigint | undefined> {
    assertCheckpointName(name)
    const [row] = await this.rows<{ position: string }>(this.sql.readCheckpoint(name))
    return row ? BigInt(row.position) : undefined
  }

  async deleteCheckpoints(names: readonly string[]): Promise<void> {
    for (const name of names) assertCheckpointName(name)
    this.assertWritable('deleteCheckpoints')
    if (names.length > 0) await this.rows(this.sql.deleteCheckpoints(names))
  }

  async listCheckpoints(prefix: string): Promise<Map<string, bigint>> {
    assertCheckpointName(prefix, { prefix: true })
    const rows = await this.rows<{ name: string; position: string }>(this.sql.listCheckpoints(prefix))
    return new Map(rows.map((r) => [r.name, BigInt(r.position)]))
  }

  /**
   * Creates the unique indexes among `indexes` as partial expression indexes
   * (others need nothing here: a read scans its collection). Declaring an
   * index again is a no-op. Building an index locks the documents table
   * against writes while it runs.
   * @throws {@link DuplicateDocumentError} naming a document whose key another one already has.
   * @throws {@link InvalidDocumentOperationError} for an empty key list or path segment.
   */
  async ensureIndexes(indexes: readonly IndexSpec[]): Promise<void> {
    this.assertWritable('ensureIndexes')
    for (const spec of indexes) assertIndexSpec(spec)
    const unique = indexes.filter((spec) => spec.unique).map((spec) => ({ spec, sql: uniqueIndexSql(this.sql.documents, spec) }))
    if (unique.length === 0) return
    await this.ready()
    let failed: (typeof unique)[number] | undefined
    try {
      await inTransaction(this.pool, async (client) => {
        // Index DDL of this schema, one process at a time: IF NOT EXISTS alone races on the catalog.
        await this.lockDdl(client)
        for (const entry of unique) {
          failed = entry
          // The extended protocol runs exactly one statement, whatever the text holds.
          await client.query({ text: entry.sql.create, queryMode: 'extended' } as pg.QueryConfig)
          const name = entry.spec.name ?? Object.entries(entry.spec.keys).map(([k, d]) => `${k}_${d}`).join('_')
          await client.query(this.sql.recordIndex(entry.sql.sqlName, entry.spec.collection, name, JSON.stringify(entry.spec.keys)))
        }
      })
    } catch (error) {
      if (!failed || !isDocumentIndexViolation(error)) throw error
      const { rows } = await this.pool.query<{ id: string }>({
        text: `SELECT max(id) AS id FROM ${this.sql.documents} WHERE collection = $1 GROUP BY ${failed.sql.expressions} HAVING count(*) > 1 LIMIT 1`,
        values: [failed.spec.collection],
      })
      throw new DuplicateDocumentError(failed.spec.collection, rows[0]?.id ?? '')
    }
  }

  async dropCollection(collection: string): Promise<void> {
    this.assertWritable('dropCollection')
    assertCollectionName(collection)
    await this.ready()
    await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ sql_name: string }>(this.sql.indexesOf(collection))
      for (const { sql_name } of rows) await client.query(`DROP INDEX IF EXISTS ${quoteIdent(this.schema)}.${quoteIdent(sql_name)}`)
      await client.query(this.sql.forgetIndexes(collection))
      await client.query(this.sql.deleteCollection(collection))
    })
  }

  async listCollections(prefix = ''): Promise<string[]> {
    assertCollectionPrefix(prefix)
    return (await this.rows<{ collection: string }>(this.sql.collections(prefix))).map((r) => r.collection)
  }

  /**
   * Creates the schema and the document tables when they are missing
   * (read-only: checks they are there). Every other method does it on first
   * use; call it to fail fast at startup.
   * @throws {@link PostgresSchemaMissingError} read-only, when the tables are missing or at another version.
   */
  async ready(): Promise<void> {
    this.migrated ??= (this.readOnly ? checkSchema : migrate)(this.pool, this.schema, DOCUMENT_SCHEMA).catch((error: unknown) => {
      this.migrated = undefined
      throw error
    })
    return this.migrated
  }

  /** Refuses further use, and ends the pool when the store opened it. Harmless twice. */
  async close(): Promise<void> {
    this.closed = true
    this.shutdown ??= this.ownsPool ? this.pool.end() : Promise.resolve()
    return this.shutdown
  }

  /**
   * The commit with one statement per kind of write. False, with nothing
   * stored, when it has to be rerun write by write: an index or jsonb
   * refused a document, or PostgreSQL aborted it for a concurrent commit
   * (the rerun then names the document, or succeeds now that the other
   * commit is done).
   * @throws {@link DocumentConflictError} for the first write whose document
   * is not at the expected revision.
   */
  private async commitBulk(rows: readonly RowWrite[], checkpoint: CheckpointWrite | undefined, publish: readonly PublishedReadModel[]): Promise<boolean> {
    let missed = false
    const done = await inTransaction(this.pool, async (client) => {
      if (publish.length > 0) await this.lockDdl(client)
      missed = !(await this.applyBulk(client, rows))
      if (missed) throw RERUN
      if (checkpoint) await client.query(this.sql.saveCheckpoint(checkpoint.name, checkpoint.position))
      await this.publishViews(client, publish)
      return true
    }).catch((error: unknown) => {
      if (error === RERUN || isDocumentWriteError(error) || isTransactionConflict(error)) return false
      throw error
    })
    if (done || !missed) return done
    // Revisions only grow: read now, the document that made the statement miss is still away, and is named without a rerun.
    const stored = await this.revisionsOf(rows)
    const moved = firstMoved(rows, stored)
    if (moved) throw new DocumentConflictError(moved.collection, moved.id, moved.expectedRevision, stored.get(keyOf(moved)))
    return false
  }

  /**
   * The commit write by write, in order, after locking its documents in key
   * order as the bulk statements do.
   * @throws the typed error that names the first write that cannot be applied.
   */
  private async commitWriteByWrite(rows: readonly RowWrite[], checkpoint: CheckpointWrite | undefined, publish: readonly PublishedReadModel[]): Promise<void> {
    let current: RowWrite | undefined
    try {
      await inTransaction(this.pool, async (client) => {
        if (publish.length > 0) await this.lockDdl(client)
        if (rows.length > 1) await client.query(this.sql.lockMany(keysOf(rows)))
        for (const row of rows) {
          current = row
          await this.applyOne(client, row)
        }
        current = undefined
        if (checkpoint) await client.query(this.sql.saveCheckpoint(checkpoint.name, checkpoint.position))
        await this.publishViews(client, publish)
      })
    } catch (error) {
      if (!isTransactionConflict(error)) throw error
      // Writes in commit order can still meet another commit's new documents or index entries in a cycle. Named:
      // the first document that moved meanwhile, else the write PostgreSQL stopped, else the first write.
      const stored = await this.revisionsOf(rows)
      const row = firstMoved(rows, stored) ?? current ?? rows[0]!
      throw new DocumentConflictError(row.collection, row.id, row.expectedRevision, stored.get(keyOf(row)), { cause: error })
    }
  }

  /** The stored revisions of the documents of `rows`, by {@link keyOf}; a missing document has none. */
  private async revisionsOf(rows: readonly RowWrite[]): Promise<Map<string, number>> {
    const stored = await this.pool.query<{ collection: string; id: string; revision: bigint }>(this.sql.revisions(keysOf(rows)))
    return new Map(stored.rows.map((r) => [keyOf(r), Number(r.revision)]))
  }

  /**
   * The writes as three multi-row statements: deletes, then replacements,
   * then inserts (so a value freed by a delete or a change can be taken by
   * another document of the same commit). The first one locks every
   * document of the commit in key order before it writes, and writes nothing
   * when one is not where the commit expects it; one write takes its only
   * lock as it writes. False when a compare-and-set missed.
   */
  private async applyBulk(client: pg.PoolClient, rows: readonly RowWrite[]): Promise<boolean> {
    const deletes: string[] = []
    const updates: string[] = []
    const inserts: string[] = []
    for (const row of rows) {
      const key = `{"c":${JSON.stringify(row.collection)},"i":${JSON.stringify(row.id)}`
      if (row.kind === 'delete') deletes.push(`${key},"e":${row.expectedRevision}}`)
      else if (row.expectedRevision === 0) inserts.push(`${key},"d":${row.doc},"r":${row.revision},"p":${row.positions}}`)
      else updates.push(`${key},"d":${row.doc},"r":${row.revision},"p":${row.positions},"e":${row.expectedRevision}}`)
    }
    let locks = rows.length > 1 ? keysOf(rows) : '[]'
    for (const [statement, batch] of [
      [this.sql.deleteMany.bind(this.sql), deletes],
      [this.sql.updateMany.bind(this.sql), updates],
      [this.sql.insertMany.bind(this.sql), inserts],
    ] as const) {
      if (batch.length === 0) continue
      const { rowCount } = await client.query(statement(`[${batch.join(',')}]`, locks))
      locks = '[]'
      if (rowCount !== batch.length) return false
    }
    return true
  }

  /** One write, as a compare-and-set. @throws the typed error that names the document. */
  private async applyOne(client: pg.PoolClient, row: RowWrite): Promise<void> {
    const { collection, id, expectedRevision } = row
    let changed: number
    try {
      const statement =
        row.kind === 'delete'
          ? this.sql.delete(collection, id, expectedRevision)
          : expectedRevision === 0
            ? this.sql.insert(collection, id, row.doc, row.revision, row.positions)
            : this.sql.update(collection, id, row.doc, row.revision, row.positions, expectedRevision)
      changed = (await client.query(statement)).rowCount ?? 0
    } catch (error) {
      throw translateDocumentError(error, collection, id)
    }
    if (changed > 0) return
    const [stored] = (await client.query<{ revision: bigint }>(this.sql.revision(collection, id))).rows
    const actual = stored === undefined ? undefined : Number(stored.revision)
    // Deleting a document that is expected not to exist is already done.
    if (row.kind === 'delete' && actual === undefined && expectedRevision === 0) return
    throw new DocumentConflictError(collection, id, expectedRevision, actual)
  }

  /**
   * DDL of this schema, one transaction at a time: concurrent view or index
   * changes race on the catalog. Taken before any row lock, as index
   * creation takes it before its table lock.
   */
  private async lockDdl(client: pg.PoolClient): Promise<void> {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`eventfold:documents-ddl:${this.schema}`])
  }

  /**
   * Points the view named after each read model at the collection it is
   * published from: one row per document, `id` and `doc` (jsonb).
   */
  private async publishViews(client: pg.PoolClient, publish: readonly PublishedReadModel[]): Promise<void> {
    const schema = quoteIdent(this.schema)
    for (const { name, collection } of publish) {
      const { rows } = await client.query<{ relkind: string }>({
        text: 'SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
        values: [this.schema, name],
      })
      const taken = rows[0]?.relkind
      if (taken !== undefined && taken !== 'v') {
        throw new InvalidDocumentOperationError(`a read model cannot be published under this name: schema '${this.schema}' has a relation named so`, name)
      }
      await client.query(
        `CREATE OR REPLACE VIEW ${schema}.${quoteIdent(name)} AS SELECT id, doc FROM ${this.sql.documents} WHERE collection = ${quoteLiteral(collection)}`,
      )
    }
  }

  private async documentsOf(collection: string): Promise<Document[]> {
    return (await this.rows<{ doc: Document }>(this.sql.scan(collection))).map((r) => r.doc)
  }

  private async rows<Row extends object>(statement: pg.QueryConfig): Promise<Row[]> {
    this.assertOpen()
    await this.ready()
    return (await this.pool.query<Row>(statement)).rows
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError('PostgresDocumentStore')
  }

  private assertWritable(operation: string): void {
    this.assertOpen()
    if (this.readOnly) throw new PostgresReadOnlyError('PostgresDocumentStore', this.schema, operation)
  }
}

/**
 * A commit can go in bulk when each document appears once (the three
 * statements do not run in the commit's order) and no delete expects a
 * document not to exist (a check, not a write).
 */
const canBulk = (rows: readonly RowWrite[]): boolean => {
  const keys = new Set<string>()
  for (const row of rows) {
    if (row.kind === 'delete' && row.expectedRevision === 0) return false
    const key = keyOf(row)
    if (keys.has(key)) return false
    keys.add(key)
  }
  return true
}

/**
 * The first write, in commit order, whose document is not at the revision it
 * expects in `stored`; a document written twice is judged at its first write.
 */
const firstMoved = (rows: readonly RowWrite[], stored: ReadonlyMap<string, number>): RowWrite | undefined => {
  const seen = new Set<string>()
  for (const row of rows) {
    const key = keyOf(row)
    if (seen.has(key)) continue
    seen.add(key)
    if (stored.get(key) !== (row.expectedRevision === 0 ? undefined : row.expectedRevision)) return row
  }
  return undefined
}

/** The documents of `rows` as a JSON array of `{c, i, e}` (`e` the expected revision), as the statements lock, check or read them. */
const keysOf = (rows: readonly RowWrite[]): string =>
  `[${rows.map((row) => `{"c":${JSON.stringify(row.collection)},"i":${JSON.stringify(row.id)},"e":${row.expectedRevision}}`).join(',')}]`

/** A document's identity as one string. */
const keyOf = ({ collection, id }: { readonly collection: string; readonly id: string }): string => JSON.stringify([collection, id])

const toRowWrite = (write: DocumentWrite): RowWrite => {
  if (write.kind === 'delete') return write
  const id = write.doc._id
  return {
    kind: 'put',
    collection: write.collection,
    id,
    doc: toJson(write.doc, `${write.collection}/${id}`),
    revision: write.meta.revision,
    positions: JSON.stringify(write.meta.positions),
    expectedRevision: write.expectedRevision,
  }
}
