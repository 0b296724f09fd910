import Database from 'better-sqlite3'
import { StoreClosedError } from '@eventfold/core'
import { fromJson, toJson } from '@eventfold/core/spi'
import { DocumentConflictError, DuplicateDocumentError, InvalidDocumentOperationError, type Document, type DocumentStore, type Filter, type FindOptions, type IndexSpec } from '@eventfold/projections'
import { query, type CheckpointWrite, type CommitRequest, type CommitResult, type DocumentMeta, type DocumentStoreCapabilities, type DocumentWrite, type PublishedReadModel, type StoredDocument, assertCheckpointName, assertCollectionName, assertCollectionPrefix, assertCommitRequest, assertDocumentKey, assertFilter, assertFindOptions, assertIndexSpec } from '@eventfold/projections/spi'
import { isUniqueViolation, translateDocumentError } from './document-errors'
import { DOCUMENT_SCHEMA, DOCUMENT_SCHEMA_MODULE, migrateDocumentSchema } from './document-schema'
import { permanentSqliteError } from '../sqlite-errors'
import { uniqueIndexSql } from './unique-index'
import { openSqlite, type OpenSqliteOptions, type SqliteConnection } from '../sqlite-connection'

/** Options of the {@link SqliteDocumentStore} constructor. */
export interface SqliteDocumentStoreOptions {
  /**
   * Close a bare better-sqlite3 handle when the store is closed. Leave it
   * false when the handle is shared: its opener closes it. (A connection is
   * always closed by whoever opened it.)
   * @default false
   */
  readonly closeDatabase?: boolean
}


interface StoredRow {
  readonly id: string
  readonly doc: string
  readonly revision: number
  readonly positions: string
}

/** A write with its JSON already made, so that serialization fails before anything is locked. */
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

/**
 * The embedded {@link DocumentStore}: read models and checkpoints in an
 * SQLite file, usually the one that holds the event log. Documents are JSON
 * rows keyed by (collection, id); a commit is one IMMEDIATE transaction, so
 * its writes and checkpoint are stored together or not at all.
 *
 * Filters, sorting and update operators are MongoDB's, evaluated by mingo
 * (through `@eventfold/projections`) over the collection's rows; a read scans
 * the collection, which suits the read models of one process. Unique indexes
 * are real SQLite partial expression indexes, checked as each row is written.
 * A published read model is a view named after its declared collection
 * (`SELECT json_extract(doc, '$.balance') FROM account_balances`), re-pointed
 * in the commit that switches its projection's generation.
 * @example
 * ```ts
 * const db = new Database('bank.db')
 * db.pragma('journal_mode = WAL')
 * const documents = new SqliteDocumentStore(db)
 * await documents.find('account_balances', { balance: { $gt: 0 } }, { sort: { balance: -1 } })
 * ```
 */
export class SqliteDocumentStore implements DocumentStore {
  readonly capabilities: DocumentStoreCapabilities = { transactions: true }
  private readonly closeDatabase: boolean
  private closed = false
  private readonly statements: ReturnType<typeof prepareStatements>
  private readonly commitTransaction: Database.Transaction<
    (writes: readonly RowWrite[], checkpoint: CheckpointWrite | undefined, publish: readonly PublishedReadModel[]) => void
  >

  private readonly db: Database.Database
  private readonly connection: SqliteConnection | undefined

  /**
   * Keeps documents in an open SQLite file, creating the document tables on
   * first use. Pass the {@link SqliteConnection} of the event store to keep
   * log and read models in one file (closing the connection closes this
   * store); a bare better-sqlite3 handle (WAL mode recommended) also works.
   */
  constructor(source: SqliteConnection | Database.Database, { closeDatabase = false }: SqliteDocumentStoreOptions = {}) {
    const isConnection = 'immediate' in source && 'migrate' in source
    this.connection = isConnection ? source : undefined
    this.db = isConnection ? source.db : source
    this.closeDatabase = closeDatabase
    // A connection migrates (or, read-only, only checks) the shared schema table itself.
    if (isConnection) source.migrate(DOCUMENT_SCHEMA_MODULE, DOCUMENT_SCHEMA)
    else migrateDocumentSchema(this.db)
    this.statements = prepareStatements(this.db)
    this.commitTransaction = this.db.transaction(
      (writes: readonly RowWrite[], checkpoint: CheckpointWrite | undefined, publish: readonly PublishedReadModel[]) => {
        for (const write of writes) this.applyWrite(write)
        if (checkpoint) this.statements.saveCheckpoint.run(checkpoint.name, checkpoint.position.toString())
        for (const model of publish) {
          const taken = this.statements.schemaObjectType.get(model.name)
          if (taken !== undefined && taken !== 'view') throw nameTaken(model.name, taken)
          this.db.exec(publishViewSql(model))
        }
      },
    )
    this.connection?.onClose(() => this.close())
  }

  /**
   * Opens (creating it if needed) an SQLite file for a store of its own;
   * closing the store closes the file.
   * @example
   * ```ts
   * const documents = SqliteDocumentStore.open('read-models.db', { synchronous: 'normal' })
   * ```
   */
  static open(path: string, options: OpenSqliteOptions = {}): SqliteDocumentStore {
    const connection = openSqlite(path, options)
    const store = new SqliteDocumentStore(connection)
    Object.assign(store, { ownedConnection: connection })
    return store
  }

  async get(collection: string, id: string): Promise<Document | undefined> {
    this.assertOpen()
    assertDocumentKey(collection, id)
    const text = this.statements.get.get(collection, id)
    return text === undefined ? undefined : parseDocument(text, collection, id)
  }

  async getMany(collection: string, ids: readonly string[]): Promise<Map<string, StoredDocument>> {
    this.assertOpen()
    for (const id of ids) assertDocumentKey(collection, id)
    const found = new Map<string, StoredDocument>()
    if (ids.length === 0) return found
    for (const row of this.statements.getMany.all(collection, JSON.stringify(ids))) {
      found.set(row.id, {
        doc: parseDocument(row.doc, collection, row.id),
        meta: { revision: row.revision, positions: fromJson<DocumentMeta['positions']>(row.positions, `${collection}/${row.id} positions`) },
      })
    }
    return found
  }

  async find(collection: string, filter?: Filter, options?: FindOptions): Promise<Document[]> {
    this.assertOpen()
    assertCollectionName(collection)
    assertFilter(collection, filter)
    assertFindOptions(collection, options)
    return query(this.documentsOf(collection), filter, options)
  }

  async count(collection: string, filter?: Filter): Promise<number> {
    this.assertOpen()
    assertCollectionName(collection)
    assertFilter(collection, filter)
    if (!filter || Object.keys(filter).length === 0) return this.statements.countAll.get(collection) ?? 0
    return query(this.documentsOf(collection), filter).length
  }

  /**
   * Applies the writes in order, then stores the checkpoint and re-points
   * the published read models' views, in one transaction: on any error
   * nothing of the commit is stored.
   * @throws {@link DocumentConflictError} when a document is not at the expected revision.
   * @throws {@link DuplicateDocumentError} when a write breaks a unique index.
   * @throws {@link SerializationError} when a document cannot be stored as JSON.
   * @throws {@link InvalidDocumentOperationError} when a read model is published under the name of a table or index of the file.
   */
  async commit(request: CommitRequest): Promise<CommitResult> {
    this.assertOpen()
    assertCommitRequest(request)
    const { writes, checkpoint, fence, publish = [] } = request
    if (writes.length === 0 && !checkpoint && !fence && publish.length === 0) return { writes: 0 }
    const rows = writes.map(toRowWrite)
    try {
      this.commitTransaction.immediate(fence ? [toRowWrite(fence), ...rows] : rows, checkpoint, publish)
    } catch (error) {
      throw permanentSqliteError(error, this.connection?.path ?? this.db.name) ?? error
    }
    return { writes: writes.length }
  }

  /**
   * {@link commit}'s work, synchronously, inside a transaction the caller
   * holds on this store's connection: for stores that commit documents with
   * rows of their own in one transaction (the messaging inbox).
   * @throws what {@link commit} throws; the caller's transaction then rolls back.
   */
  commitWithin(request: CommitRequest): number {
    this.assertOpen()
    assertCommitRequest(request)
    const { writes, checkpoint, fence, publish = [] } = request
    const rows = writes.map(toRowWrite)
    this.commitTransaction(fence ? [toRowWrite(fence), ...rows] : rows, checkpoint, publish)
    return writes.length
  }

  async readCheckpoint(name: string): Promise<bigint | undefined> {
    assertCheckpointName(name)
    this.assertOpen()
    const position = this.statements.readCheckpoint.get(name)
    return position === undefined ? undefined : BigInt(position)
  }

  async deleteCheckpoints(names: readonly string[]): Promise<void> {
    for (const name of names) assertCheckpointName(name)
    this.assertOpen()
    if (names.length > 0) this.statements.deleteCheckpoints.run(JSON.stringify(names))
  }

  async listCheckpoints(prefix: string): Promise<Map<string, bigint>> {
    assertCheckpointName(prefix, { prefix: true })
    this.assertOpen()
    const found = new Map<string, bigint>()
    // Names with a common prefix are contiguous in the primary key's binary order.
    for (const { name, position } of this.statements.checkpointsFrom.iterate(prefix)) {
      if (!name.startsWith(prefix)) break
      found.set(name, BigInt(position))
    }
    return found
  }

  /**
   * Creates the unique indexes among `indexes` (others need nothing here: a
   * read scans its collection). Declaring an index again is a no-op.
   * @throws {@link DuplicateDocumentError} naming a document whose key another one already has.
   * @throws {@link InvalidDocumentOperationError} for a key path SQLite cannot address.
   */
  async ensureIndexes(indexes: readonly IndexSpec[]): Promise<void> {
    this.assertOpen()
    for (const spec of indexes) assertIndexSpec(spec)
    const unique = indexes.filter((spec) => spec.unique).map((spec) => ({ spec, sql: uniqueIndexSql(spec) }))
    if (unique.length === 0) return
    this.db
      .transaction(() => {
        for (const { spec, sql } of unique) {
          try {
            // prepare() compiles exactly one statement, whatever the text holds.
            this.db.prepare(sql.create).run()
          } catch (error) {
            if (!isUniqueViolation(error)) throw error
            const id = this.db
              .prepare<[string], string>(
                `SELECT max(id) FROM eventfold_documents WHERE collection = ? GROUP BY ${sql.expressions} HAVING count(*) > 1 LIMIT 1`,
              )
              .pluck()
              .get(spec.collection)
            throw new DuplicateDocumentError(spec.collection, id ?? '')
          }
          const name = spec.name ?? Object.entries(spec.keys).map(([k, d]) => `${k}_${d}`).join('_')
          this.statements.recordIndex.run(sql.sqlName, spec.collection, name, JSON.stringify(spec.keys))
        }
      })
      .immediate()
  }

  async dropCollection(collection: string): Promise<void> {
    this.assertOpen()
    assertCollectionName(collection)
    this.db
      .transaction(() => {
        for (const sqlName of this.statements.indexesOf.all(collection)) this.db.exec(`DROP INDEX IF EXISTS "${sqlName}"`)
        this.statements.forgetIndexes.run(collection)
        this.statements.dropDocuments.run(collection)
      })
      .immediate()
  }

  async listCollections(prefix = ''): Promise<string[]> {
    assertCollectionPrefix(prefix)
    this.assertOpen()
    // Skips from one collection to the next along the primary key: one seek per collection.
    const found: string[] = []
    let next = this.statements.firstCollectionFrom.get(prefix)
    while (next !== undefined && next.startsWith(prefix)) {
      found.push(next)
      next = this.statements.collectionAfter.get(next)
    }
    return found
  }

  /** Closes the store, and the database handle when the store opened it or was told to. Harmless twice. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const owned = (this as { ownedConnection?: SqliteConnection }).ownedConnection
    if (owned) await owned.close()
    else if (this.closeDatabase && this.db.open) this.db.close()
  }

  private applyWrite(write: RowWrite): void {
    const { collection, id, expectedRevision } = write
    let changes: number
    try {
      if (write.kind === 'delete') changes = this.statements.delete.run(collection, id, expectedRevision).changes
      else if (expectedRevision === 0) changes = this.statements.insert.run(collection, id, write.doc, write.revision, write.positions).changes
      else changes = this.statements.update.run(write.doc, write.revision, write.positions, collection, id, expectedRevision).changes
    } catch (error) {
      throw translateDocumentError(error, collection, id)
    }
    if (changes > 0) return
    const actual = this.statements.revision.get(collection, id)
    // Deleting a document that is expected not to exist is already done.
    if (write.kind === 'delete' && actual === undefined && expectedRevision === 0) return
    throw new DocumentConflictError(collection, id, expectedRevision, actual)
  }

  private documentsOf(collection: string): Document[] {
    return this.statements.scan.all(collection).map(({ id, doc }) => parseDocument(doc, collection, id))
  }

  private assertOpen(): void {
    if (this.closed || !this.db.open) throw new StoreClosedError('SqliteDocumentStore')
  }
}


const prepareStatements = (db: Database.Database) => ({
  get: db.prepare<[string, string], string>('SELECT doc FROM eventfold_documents WHERE collection = ? AND id = ?').pluck(),
  getMany: db.prepare<[string, string], StoredRow>(
    'SELECT id, doc, revision, positions FROM eventfold_documents WHERE collection = ? AND id IN (SELECT value FROM json_each(?))',
  ),
  scan: db.prepare<[string], { id: string; doc: string }>('SELECT id, doc FROM eventfold_documents WHERE collection = ?'),
  countAll: db.prepare<[string], number>('SELECT count(*) FROM eventfold_documents WHERE collection = ?').pluck(),
  revision: db.prepare<[string, string], number>('SELECT revision FROM eventfold_documents WHERE collection = ? AND id = ?').pluck(),
  insert: db.prepare<[string, string, string, number, string]>(
    `INSERT INTO eventfold_documents (collection, id, doc, revision, positions) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (collection, id) DO NOTHING`,
  ),
  update: db.prepare<[string, number, string, string, string, number]>(
    'UPDATE eventfold_documents SET doc = ?, revision = ?, positions = ? WHERE collection = ? AND id = ? AND revision = ?',
  ),
  delete: db.prepare<[string, string, number]>('DELETE FROM eventfold_documents WHERE collection = ? AND id = ? AND revision = ?'),
  dropDocuments: db.prepare<[string]>('DELETE FROM eventfold_documents WHERE collection = ?'),
  firstCollectionFrom: db.prepare<[string], string>(
    'SELECT collection FROM eventfold_documents WHERE collection >= ? ORDER BY collection LIMIT 1',
  ).pluck(),
  collectionAfter: db.prepare<[string], string>('SELECT collection FROM eventfold_documents WHERE collection > ? ORDER BY collection LIMIT 1').pluck(),
  saveCheckpoint: db.prepare<[string, string]>(
    'INSERT INTO eventfold_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
  ),
  readCheckpoint: db.prepare<[string], string>('SELECT position FROM eventfold_checkpoints WHERE name = ?').pluck(),
  checkpointsFrom: db.prepare<[string], { name: string; position: string }>(
    'SELECT name, position FROM eventfold_checkpoints WHERE name >= ? ORDER BY name',
  ),
  deleteCheckpoints: db.prepare<[string]>('DELETE FROM eventfold_checkpoints WHERE name IN (SELECT value FROM json_each(?))'),
  recordIndex: db.prepare<[string, string, string, string]>(
    'INSERT INTO eventfold_document_indexes (sql_name, collection, name, keys) VALUES (?, ?, ?, ?) ON CONFLICT (sql_name) DO NOTHING',
  ),
  indexesOf: db.prepare<[string], string>('SELECT sql_name FROM eventfold_document_indexes WHERE collection = ?').pluck(),
  forgetIndexes: db.prepare<[string]>('DELETE FROM eventfold_document_indexes WHERE collection = ?'),
  schemaObjectType: db.prepare<[string], string>('SELECT type FROM sqlite_schema WHERE name = ? COLLATE NOCASE').pluck(),
})

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

const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`
const quoteText = (text: string): string => `'${text.replaceAll("'", "''")}'`

/**
 * The view that shows a read model under its declared name to any SQLite
 * client: one row per document, `id` and `doc` (JSON text), of the
 * collection it is published from.
 */
const publishViewSql = ({ name, collection }: PublishedReadModel): string =>
  `DROP VIEW IF EXISTS ${quoteIdentifier(name)};
   CREATE VIEW ${quoteIdentifier(name)} AS SELECT id, doc FROM eventfold_documents WHERE collection = ${quoteText(collection)};`

const nameTaken = (name: string, type: string): InvalidDocumentOperationError =>
  new InvalidDocumentOperationError(`a read model cannot be published under this name: the file has a ${type} named so`, name)

const parseDocument = (text: string, collection: string, id: string): Document => fromJson<Document>(text, `${collection}/${id}`)
