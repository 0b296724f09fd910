import type { Document, Filter, FindOptions, IndexSpec } from './document'
import type {
  CommitRequest,
  CommitResult,
  DocumentStore,
  DocumentStoreCapabilities,
  StoredDocument,
} from './document-store'
import { assertCheckpointName, assertCollectionName, assertCollectionPrefix, assertCommitRequest, assertDocumentKey, assertFilter, assertFindOptions, assertIndexSpec } from './document-input'
import { matches, query } from './mongo-semantics'
import { DocumentConflictError, DuplicateDocumentError } from '../errors/errors'

/**
 * The reference {@link DocumentStore}, in process memory, with MongoDB
 * query semantics. Commits are atomic. Unique indexes are enforced.
 * Published read models are only recorded ({@link publishedCollection}): a
 * process-local store has no outside readers.
 */
export class InMemoryDocumentStore implements DocumentStore {
  readonly capabilities: DocumentStoreCapabilities = { transactions: true }
  private readonly collections = new Map<string, Map<string, StoredDocument>>()
  private readonly checkpoints = new Map<string, bigint>()
  private readonly uniqueIndexes = new Map<string, IndexSpec[]>()
  private readonly published = new Map<string, string>()

  async get(collection: string, id: string): Promise<Document | undefined> {
    assertDocumentKey(collection, id)
    const s = this.collections.get(collection)?.get(id)
    return s && structuredClone(s.doc)
  }

  async getMany(collection: string, ids: readonly string[]): Promise<Map<string, StoredDocument>> {
    for (const id of ids) assertDocumentKey(collection, id)
    const out = new Map<string, StoredDocument>()
    const c = this.collections.get(collection)
    for (const id of ids) {
      const s = c?.get(id)
      if (s) out.set(id, structuredClone(s))
    }
    return out
  }

  async find(collection: string, filter?: Filter, options?: FindOptions): Promise<Document[]> {
    assertCollectionName(collection)
    assertFilter(collection, filter)
    assertFindOptions(collection, options)
    const docs = [...(this.collections.get(collection)?.values() ?? [])].map((s) => s.doc)
    return structuredClone(query(docs, filter, options))
  }

  async count(collection: string, filter?: Filter): Promise<number> {
    assertCollectionName(collection)
    assertFilter(collection, filter)
    let n = 0
    for (const s of this.collections.get(collection)?.values() ?? []) if (matches(filter, s.doc)) n++
    return n
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    assertCommitRequest(request)
    const { writes: documentWrites, checkpoint, fence, publish = [] } = request
    const writes = fence ? [fence, ...documentWrites] : documentWrites
    // Check everything first so that the commit is all or nothing.
    const staged = new Map<string, Map<string, StoredDocument>>()
    const stage = (collection: string) => {
      let c = staged.get(collection)
      if (!c) {
        c = new Map(this.collections.get(collection) ?? [])
        staged.set(collection, c)
      }
      return c
    }
    for (const w of writes) {
      const c = stage(w.collection)
      const id = w.kind === 'put' ? w.doc._id : w.id
      const current = c.get(id)
      const actual = current?.meta.revision ?? 0
      if (actual !== w.expectedRevision) throw new DocumentConflictError(w.collection, id, w.expectedRevision, current?.meta.revision)
      if (w.kind === 'put') c.set(id, structuredClone({ doc: w.doc, meta: w.meta }))
      else c.delete(id)
    }
    for (const [collection, docs] of staged) this.checkUnique(collection, docs)
    for (const [collection, docs] of staged) this.collections.set(collection, docs)
    if (checkpoint) this.checkpoints.set(checkpoint.name, checkpoint.position)
    for (const { name, collection } of publish) this.published.set(name, collection)
    return { writes: documentWrites.length }
  }

  async readCheckpoint(name: string): Promise<bigint | undefined> {
    assertCheckpointName(name)
    return this.checkpoints.get(name)
  }

  async deleteCheckpoints(names: readonly string[]): Promise<void> {
    for (const name of names) assertCheckpointName(name)
    for (const n of names) this.checkpoints.delete(n)
  }

  async listCheckpoints(prefix: string): Promise<Map<string, bigint>> {
    assertCheckpointName(prefix, { prefix: true })
    return new Map([...this.checkpoints].filter(([n]) => n.startsWith(prefix)))
  }

  async ensureIndexes(indexes: readonly IndexSpec[]): Promise<void> {
    for (const i of indexes) assertIndexSpec(i)
    for (const i of indexes) {
      if (!i.unique) continue
      const list = this.uniqueIndexes.get(i.collection) ?? []
      if (!list.some((x) => JSON.stringify(x.keys) === JSON.stringify(i.keys))) list.push(i)
      this.uniqueIndexes.set(i.collection, list)
    }
  }

  async dropCollection(collection: string): Promise<void> {
    assertCollectionName(collection)
    this.collections.delete(collection)
    this.uniqueIndexes.delete(collection)
  }

  async listCollections(prefix = ''): Promise<string[]> {
    assertCollectionPrefix(prefix)
    return [...this.collections.keys()].filter((c) => c.startsWith(prefix)).sort()
  }

  /** The collection a read model is published from under `name`, if it is: what an outside reader of this store would see. */
  publishedCollection(name: string): string | undefined {
    return this.published.get(name)
  }

  async close(): Promise<void> {}

  private checkUnique(collection: string, docs: Map<string, StoredDocument>): void {
    for (const index of this.uniqueIndexes.get(collection) ?? []) {
      const seen = new Map<string, string>()
      for (const { doc } of docs.values()) {
        const key = JSON.stringify(Object.keys(index.keys).map((k) => getPath(doc, k) ?? null))
        const other = seen.get(key)
        if (other !== undefined) throw new DuplicateDocumentError(collection, doc._id)
        seen.set(key, doc._id)
      }
    }
  }
}

const getPath = (doc: Document, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), doc)
