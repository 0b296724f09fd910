import { MongoClient, ObjectId, type Collection, type Db, type MongoClientOptions } from 'mongodb'
import { StoreClosedError } from '@eventfold/core'
import { DocumentConflictError, type Document, type DocumentStore, type Filter, type FindOptions, type IndexSpec } from '@eventfold/projections'
import { matches, type CheckpointWrite, type CommitRequest, type CommitResult, type DocumentStoreCapabilities, type DocumentWrite, type PublishedReadModel, type StoredDocument, assertCheckpointName, assertCollectionName, assertCollectionPrefix, assertCommitRequest, assertDocumentKey, assertFilter, assertFindOptions, assertIndexSpec } from '@eventfold/projections/spi'
import { detectMongoCapabilities, type MongoCapabilities } from '../capabilities'
import { actualRevision, MongoErrorCode, serverErrorCode, translateMongoError } from '../mongo-errors'
import { SNAPSHOT_COLLECTION } from '../snapshots/mongo-snapshot-store'
import { assertWritable, fromMongoDocument, WITHOUT_BOOKKEEPING, type MongoDocument } from './bookkeeping'
import { CHECKPOINT_COLLECTION, Checkpoints, encodePosition, prefixPattern, type CheckpointDocument } from './checkpoints'
import { allApplied, bulkWrite, idOf, judge, readStates, sendingOrder, type BulkOutcome, type CollectionWrites, type Verdict } from './collection-writes'
import { findDuplicate, findUniqueHolder, indexDescription, indexName } from './indexes'
import { planQuery } from './query-plan'

/**
 * Where each published read model lives: `{ _id: <declared name>, collection: <collection of the active generation> }`.
 * Outside readers on a server without views (FerretDB 1.x) read the collection it names.
 */
export const READ_MODEL_COLLECTION = '_ef_read_models'

/** Options of the {@link MongoDocumentStore} constructor. */
export interface MongoDocumentStoreOptions {
  /**
   * Commit each batch in a multi-document transaction. `'detect'` uses them
   * when the server runs them (see {@link detectMongoCapabilities}); `false`
   * forces the idempotent path (documents, then the checkpoint) even on a
   * replica set; `true` uses them whatever the detection found.
   * @default 'detect'
   */
  readonly transactions?: boolean | 'detect'
  /** Collection that holds the checkpoints. @default '_ef_checkpoints' */
  readonly checkpointCollection?: string
}

/** Options of {@link MongoDocumentStore.connect}. */
export interface ConnectMongoDocumentStoreOptions extends MongoDocumentStoreOptions {
  /** Database of the read models and checkpoints. */
  readonly dbName: string
  /** Options of the `MongoClient` the store opens. @default {} */
  readonly clientOptions?: MongoClientOptions
}

/** Thrown inside a transaction to abort it: a write of the commit did not apply. */
class CommitRejected extends Error {
  constructor(readonly outcome: BulkOutcome) {
    super(`a write to ${outcome.collection} did not apply`)
  }
}

/** How often a rejected transactional commit whose failure cannot be found any more (the documents changed meanwhile) is tried again. */
const UNEXPLAINED_ATTEMPTS = 3

/**
 * The {@link DocumentStore} on MongoDB (or a MongoDB-wire server such as
 * FerretDB), with the official driver. Each read model is a collection of
 * ordinary documents, the read model's own fields at the top level, so that
 * applications query them directly; eventfold adds one field, `_ef`
 * (`{ rev, pos, commit }`: revision, per-partition positions, last commit),
 * which `get` and `find` leave out.
 *
 * A commit sends one ordered bulk write per collection (on FerretDB, in
 * chunks: see {@link MongoCapabilities.maxStatementsPerCommand}): each write is
 * guarded by the revision it expects (`replaceOne({ _id, '_ef.rev': n })`,
 * an upsert guarded by a missing `_ef` to create, `deleteOne` guarded
 * likewise), so a stale write matches nothing and fails the commit with a
 * {@link DocumentConflictError}. With transactions (a replica set or sharded
 * cluster) the writes and the checkpoint commit together; without, the
 * documents are written first and the checkpoint last, and the positions in
 * `_ef` make a batch replayed after a crash skip what it already applied.
 *
 * Filters, sorting, skip and limit run on the server.
 * @example
 * ```ts
 * const documents = await MongoDocumentStore.connect(process.env.MONGODB_URL!, { dbName: 'bank' })
 * const rich = await documents.find('account_balances__1', { balance: { $gt: 1000 } }, { sort: { balance: -1 }, limit: 10 })
 * await documents.close()
 * ```
 */
export class MongoDocumentStore implements DocumentStore {
  private readonly db: Db
  private readonly checkpoints: Checkpoints
  private readonly checkpointCollection: string
  private readonly transactionsOption: boolean | 'detect'
  private detected: MongoCapabilities | undefined
  private detecting: Promise<MongoCapabilities> | undefined
  private ownsClient = false
  /** Whether the server has views; learnt at the first publish. */
  private views: boolean | undefined
  private closed = false

  /**
   * Keeps read models in database `dbName` of a client the caller owns (and
   * closes). What the server can do is detected before the first commit or
   * query; `await store.ready()` does it up front.
   */
  constructor(
    private readonly client: MongoClient,
    dbName: string,
    { transactions = 'detect', checkpointCollection = CHECKPOINT_COLLECTION }: MongoDocumentStoreOptions = {},
  ) {
    this.db = client.db(dbName)
    this.transactionsOption = transactions
    this.checkpointCollection = checkpointCollection
    this.checkpoints = new Checkpoints(this.db.collection<CheckpointDocument>(checkpointCollection))
  }

  /**
   * Connects to `url` with a client of its own, which `close()` closes, and
   * detects the server's capabilities.
   * @example
   * ```ts
   * const documents = await MongoDocumentStore.connect('mongodb://127.0.0.1:27017/?replicaSet=rs0', { dbName: 'bank' })
   * documents.capabilities.transactions // true on a replica set
   * ```
   */
  static async connect(url: string, { dbName, clientOptions = {}, ...options }: ConnectMongoDocumentStoreOptions): Promise<MongoDocumentStore> {
    const client = await MongoClient.connect(url, clientOptions)
    const store = new MongoDocumentStore(client, dbName, options)
    store.ownsClient = true
    try {
      await store.ready()
    } catch (error) {
      await client.close()
      throw error
    }
    return store
  }

  /**
   * Transactions are used when the option says so, or, with `'detect'`, once
   * {@link ready} found that the server runs them (until then: `false`, the
   * weaker promise).
   */
  get capabilities(): DocumentStoreCapabilities {
    return { transactions: this.transactionsOption === 'detect' ? (this.detected?.transactions ?? false) : this.transactionsOption }
  }

  /** What the server is and can do, once {@link ready} resolved. */
  get server(): MongoCapabilities | undefined {
    return this.detected
  }

  /** Detects the server's capabilities (once; every operation awaits it). */
  async ready(): Promise<MongoCapabilities> {
    this.assertOpen()
    if (this.detected) return this.detected
    this.detecting ??= detectMongoCapabilities(this.client, this.db).finally(() => (this.detecting = undefined))
    this.detected = await this.detecting
    return this.detected
  }

  async get(collection: string, id: string): Promise<Document | undefined> {
    this.assertOpen()
    // Checked before it reaches the server, where an object id would be a query.
    assertDocumentKey(collection, id)
    return (await this.documents(collection).findOne({ _id: id }, { projection: WITHOUT_BOOKKEEPING })) ?? undefined
  }

  async getMany(collection: string, ids: readonly string[]): Promise<Map<string, StoredDocument>> {
    this.assertOpen()
    for (const id of ids) assertDocumentKey(collection, id)
    const found = new Map<string, StoredDocument>()
    if (ids.length === 0) return found
    for await (const stored of this.documents(collection).find({ _id: { $in: [...ids] } })) found.set(stored._id, fromMongoDocument(stored))
    return found
  }

  async find(collection: string, filter?: Filter, options?: FindOptions): Promise<Document[]> {
    const found: Document[] = []
    for await (const doc of this.stream(collection, filter, options)) found.push(doc)
    return found
  }

  /**
   * Documents matching `filter`, one at a time from a server cursor: memory
   * stays flat however many match. Breaking out of the loop closes the cursor.
   * @example
   * ```ts
   * for await (const account of documents.stream('account_balances__1', { status: 'open' }, { sort: { _id: 1 } })) {
   *   console.log(account._id, account.balance)
   * }
   * ```
   */
  async *stream(collection: string, filter: Filter = {}, findOptions: FindOptions = {}): AsyncGenerator<Document, void, undefined> {
    this.assertOpen()
    assertCollectionName(collection)
    assertFilter(collection, filter)
    assertFindOptions(collection, findOptions)
    const { sort, skip = 0, limit = 0 } = findOptions
    const { clientSideOperators } = await this.ready()
    const plan = planQuery(filter, new Set(clientSideOperators))
    const options = { projection: WITHOUT_BOOKKEEPING, ...(sort ? { sort: { ...sort } } : {}) }
    if (!plan.residual) {
      yield* this.documents(collection).find(plan.server, { ...options, skip, limit }) as AsyncIterable<Document>
      return
    }
    // The server returns a superset in order; the rest of the filter, skip and limit apply here.
    let skipped = 0
    let yielded = 0
    for await (const doc of this.documents(collection).find(plan.server, options) as AsyncIterable<Document>) {
      if (!matches(plan.residual, doc)) continue
      if (skipped < skip) {
        skipped++
        continue
      }
      yield doc
      if (++yielded === limit) return
    }
  }

  async count(collection: string, filter: Filter = {}): Promise<number> {
    this.assertOpen()
    assertCollectionName(collection)
    assertFilter(collection, filter)
    const { clientSideOperators } = await this.ready()
    const plan = planQuery(filter, new Set(clientSideOperators))
    if (!plan.residual) return this.documents(collection).countDocuments(plan.server)
    let n = 0
    for await (const _ of this.stream(collection, filter)) n++
    return n
  }

  /**
   * Applies the writes, then stores the checkpoint: in one transaction when
   * the store uses them, otherwise documents first (one ordered bulk write per
   * collection, collections in parallel, but the fence, a worker's lease
   * renewal, before everything else) and the checkpoint only once every
   * write applied.
   * Deletes of a collection are applied before its puts.
   * @throws {@link DocumentConflictError} when a document is not at the expected revision
   * (without transactions, other writes of the commit may have been applied; never its checkpoint).
   * @throws {@link DuplicateDocumentError} when a write breaks a unique index.
   * @throws {@link InvalidDocumentOperationError} or {@link SerializationError} for a write that cannot be stored; nothing is sent.
   */
  async commit(request: CommitRequest): Promise<CommitResult> {
    this.assertOpen()
    assertCommitRequest(request)
    const { writes, checkpoint, fence, publish = [] } = request
    if (writes.length === 0 && !checkpoint && !fence && publish.length === 0) return { writes: 0 }
    for (const write of writes) assertWritable(write)
    if (fence) assertWritable(fence)
    if (checkpoint) encodePosition(checkpoint.position)
    await this.ready()
    if (this.capabilities.transactions) await this.commitInTransaction(groupByCollection(fence ? [fence, ...writes] : writes), checkpoint)
    else await this.commitInOrder(groupByCollection(writes), checkpoint, fence)
    // After the writes: MongoDB changes no view inside a transaction. A crash in between is healed by the next publish.
    for (const model of publish) await this.publish(model)
    return { writes: writes.length }
  }

  async readCheckpoint(name: string): Promise<bigint | undefined> {
    assertCheckpointName(name)
    this.assertOpen()
    return this.checkpoints.read(name)
  }

  async deleteCheckpoints(names: readonly string[]): Promise<void> {
    for (const name of names) assertCheckpointName(name)
    this.assertOpen()
    await this.checkpoints.delete(names)
  }

  async listCheckpoints(prefix: string): Promise<Map<string, bigint>> {
    assertCheckpointName(prefix, { prefix: true })
    this.assertOpen()
    return this.checkpoints.list(prefix)
  }

  /**
   * Creates the indexes, named as declared or as MongoDB names them by
   * default (`email_1`). Declaring an index again is a no-op.
   * @throws {@link DuplicateDocumentError} naming a document whose key another one already has (a unique index cannot be built).
   * @throws {@link InvalidDocumentOperationError} when an index clashes with an existing one of the same name or keys.
   */
  async ensureIndexes(indexes: readonly IndexSpec[]): Promise<void> {
    this.assertOpen()
    for (const spec of indexes) assertIndexSpec(spec)
    const byCollection = new Map<string, IndexSpec[]>()
    for (const spec of indexes) byCollection.set(spec.collection, [...(byCollection.get(spec.collection) ?? []), spec])
    for (const [collection, specs] of byCollection) {
      const target = this.documents(collection)
      try {
        await target.createIndexes(specs.map(indexDescription))
      } catch (error) {
        const code = serverErrorCode(error)
        const clash = code === MongoErrorCode.IndexOptionsConflict || code === MongoErrorCode.IndexKeySpecsConflict
        let duplicateId: string | undefined
        for (const spec of clash ? [] : specs.filter((s) => s.unique)) {
          duplicateId ??= await findDuplicate(target, spec.keys)
        }
        throw translateMongoError(code, error, { kind: 'index', collection, indexes: specs.map(indexName), duplicateId })
      }
    }
  }

  /** Drops the collection with its indexes; a missing collection is not an error. */
  async dropCollection(collection: string): Promise<void> {
    this.assertOpen()
    assertCollectionName(collection)
    try {
      await this.documents(collection).drop()
    } catch (error) {
      if (serverErrorCode(error) !== MongoErrorCode.NamespaceNotFound) throw error
    }
  }

  /** Collections (not views) whose name starts with `prefix`, sorted; leaves out `system.*` and the store's own checkpoint and snapshot collections. */
  async listCollections(prefix = ''): Promise<string[]> {
    assertCollectionPrefix(prefix)
    this.assertOpen()
    const internal = new Set([this.checkpointCollection, SNAPSHOT_COLLECTION, READ_MODEL_COLLECTION])
    const names: string[] = []
    for await (const info of this.db.listCollections(prefix ? { name: prefixPattern(prefix) } : {}, { nameOnly: true })) {
      if ((info.type !== undefined && info.type !== 'collection') || info.name.startsWith('system.') || internal.has(info.name)) continue
      if (info.name.startsWith(prefix)) names.push(info.name)
    }
    return names.sort()
  }

  /** Refuses further use with `StoreClosedError`; closes the client only when {@link connect} opened it. Harmless twice. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.ownsClient) await this.client.close()
  }

  private async commitInOrder(
    groups: ReadonlyMap<string, CollectionWrites>,
    checkpoint: CheckpointWrite | undefined,
    fence: DocumentWrite | undefined,
  ): Promise<void> {
    const commit = new ObjectId()
    const chunkSize = this.detected?.maxStatementsPerCommand
    const send = ([name, writes]: [string, CollectionWrites]) => bulkWrite(this.documents(name), writes, commit, { chunkSize })
    // The fence (a worker's lease renewal) is a precondition: nothing else is written when it fails.
    if (fence) for (const group of groupByCollection([fence])) await this.assertApplied(await send(group), commit)
    const rest = [...groups]
    const outcomes: BulkOutcome[] = []
    if (chunkSize === undefined) {
      // Collections in parallel; all of them settle before the first failure is reported.
      const settled = await Promise.allSettled(rest.map(send))
      for (const s of settled) if (s.status === 'rejected') throw s.reason
      outcomes.push(...settled.map((s) => (s as PromiseFulfilledResult<BulkOutcome>).value))
    } else {
      for (const group of rest) outcomes.push(await send(group))
    }
    // Collections in request order: the first failing one names the failure.
    for (const outcome of outcomes) await this.assertApplied(outcome, commit)
    if (checkpoint) await this.checkpoints.save(checkpoint)
  }

  /** Throws the error of the first write of `outcome` that did not take effect (no transaction: the others stay). */
  private async assertApplied(outcome: BulkOutcome, commit: ObjectId): Promise<void> {
    if (allApplied(outcome)) return
    const verdict = judge(outcome, await readStates(this.documents(outcome.collection), outcome.writes), 'applied', commit)
    if (verdict) throw await this.failureOf(verdict, outcome)
    if (outcome.error) throw outcome.error
  }

  private async commitInTransaction(groups: ReadonlyMap<string, CollectionWrites>, checkpoint: CheckpointWrite | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const commit = new ObjectId()
      const session = this.client.startSession()
      let rejected: BulkOutcome | undefined
      try {
        await session.withTransaction(async () => {
          for (const [name, writes] of groups) {
            const outcome = await bulkWrite(this.documents(name), writes, commit, { session, chunkSize: this.detected?.maxStatementsPerCommand })
            if (!allApplied(outcome)) throw new CommitRejected(outcome)
          }
          if (checkpoint) await this.checkpoints.save(checkpoint, session)
        })
      } catch (error) {
        if (!(error instanceof CommitRejected)) throw error
        rejected = error.outcome
      } finally {
        await session.endSession()
      }
      if (!rejected) return
      const verdict = judge(rejected, await readStates(this.documents(rejected.collection), rejected.writes), 'rolled-back', commit)
      if (verdict) throw await this.failureOf(verdict, rejected)
      if (rejected.error) throw rejected.error
      if (attempt >= UNEXPLAINED_ATTEMPTS) {
        throw new Error(`A commit to ${rejected.collection} was rejected ${attempt} times and its documents changed each time before the cause was read`)
      }
    }
  }

  /** The error of a write that did not take effect. */
  private async failureOf({ kind, write, state, code }: Verdict, outcome: BulkOutcome): Promise<unknown> {
    const id = idOf(write)
    if (kind === 'conflict') return new DocumentConflictError(write.collection, id, write.expectedRevision, actualRevision(state))
    const uniqueHolder =
      write.kind === 'put' && code !== MongoErrorCode.DuplicateKey ? await findUniqueHolder(this.documents(write.collection), write.doc) : undefined
    const error = translateMongoError(code, outcome.error, { kind: 'write', write, state, uniqueHolder })
    return error ?? new Error(`The server neither applied the write of ${write.collection}/${id} nor reported an error`)
  }

  /**
   * Records where a read model is published from in {@link READ_MODEL_COLLECTION},
   * and points the read-only view named after it there (its documents without
   * the bookkeeping field). A server without views (FerretDB 1.x) keeps only
   * the record, which outside readers follow.
   */
  private async publish({ name, collection }: PublishedReadModel): Promise<void> {
    await this.db.collection<{ _id: string; collection: string }>(READ_MODEL_COLLECTION).updateOne({ _id: name }, { $set: { collection } }, { upsert: true })
    if (this.views === false) return
    const pipeline = [{ $project: WITHOUT_BOOKKEEPING }]
    const point = () => this.db.command({ collMod: name, viewOn: collection, pipeline })
    // Re-point the view; create it where missing; re-point it if another process created it meanwhile.
    const steps: readonly [() => Promise<unknown>, number | undefined][] = [
      [point, MongoErrorCode.NamespaceNotFound],
      [() => this.db.createCollection(name, { viewOn: collection, pipeline }), MongoErrorCode.NamespaceExists],
      [point, undefined],
    ]
    for (const [step, goOnAfter] of steps) {
      try {
        await step()
        this.views = true
        return
      } catch (error) {
        const code = serverErrorCode(error)
        if (code === MongoErrorCode.NotImplemented) {
          this.views = false
          return
        }
        if (code !== goOnAfter) throw error
      }
    }
  }

  private documents(collection: string): Collection<MongoDocument> {
    return this.db.collection<MongoDocument>(collection)
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError('MongoDocumentStore')
  }
}

/** The writes per collection, in the order collections first appear, each in sending order. */
const groupByCollection = (writes: readonly DocumentWrite[]): Map<string, CollectionWrites> => {
  const groups = new Map<string, DocumentWrite[]>()
  for (const write of writes) {
    const group = groups.get(write.collection)
    if (group) group.push(write)
    else groups.set(write.collection, [write])
  }
  return new Map([...groups].map(([name, group]) => [name, sendingOrder(group)]))
}
