import type { Document, Filter, FindOptions } from './document'
import type { DocumentStore, DocumentWrite, StoredDocument } from './document-store'
import type { DocumentOperation, Documents } from './documents'
import { applyUpdate, matches, query, validateUpdate } from './mongo-semantics'
import { DuplicateDocumentError, InvalidDocumentOperationError } from '../errors/errors'

interface PendingOp {
  readonly position: bigint
  readonly op: DocumentOperation
}

interface Entry {
  loaded: boolean
  base: StoredDocument | undefined
  current: Document | undefined
  pending: PendingOp[]
  /** Position of the last operation actually applied in this batch. */
  lastApplied: bigint | undefined
}

/** An operation failed when it was applied; names the event that made it. */
export class DocumentOperationError extends Error {
  constructor(
    readonly position: bigint,
    readonly collection: string,
    readonly id: string,
    options: { cause: unknown },
  ) {
    super(`Operation on ${collection}/${id} from the event at position ${position} failed: ${(options.cause as Error)?.message}`, options)
  }
}

/**
 * The writes of one batch of one partition, coalesced per document: each
 * document touched is read once, every operation on it is applied in memory
 * in event order, and one write per changed document goes to the store.
 *
 * Operations from an event at or below the position this partition already
 * applied to a document are skipped, so a batch replayed after a crash
 * (writes committed, checkpoint not) changes nothing twice.
 */
export class DocumentBatch {
  private readonly entries = new Map<string, Map<string, Entry>>()
  private position: bigint = -1n
  private readonly handles = new Map<string, Documents>()

  constructor(
    private readonly store: DocumentStore,
    /** Logical collection name → physical name in the store. */
    private readonly resolve: (logical: string) => string,
    /** The partition's key in each document's bookkeeping, e.g. `'0/4'`. */
    private readonly partitionKey: string,
    private readonly defaultCollection: string,
  ) {}

  /** Operations recorded from now on belong to the event at `position`. */
  setPosition(position: bigint): void {
    this.position = position
  }

  /** The handle a projection handler gets. */
  documents(logical: string = this.defaultCollection): Documents {
    // One handle per collection for the whole batch: handlers get it once per event.
    const cached = this.handles.get(logical)
    if (cached) return cached
    const handle = this.createHandle(logical)
    this.handles.set(logical, handle)
    return handle
  }

  private createHandle(logical: string): Documents {
    const batch = this
    const physical = this.resolve(logical)
    const record = (id: string, op: DocumentOperation) => batch.record(physical, id, op)
    return {
      name: logical,
      collection: (name) => batch.documents(name),
      insert(doc) {
        if (typeof doc?._id !== 'string' || doc._id === '') {
          throw new InvalidDocumentOperationError('insert needs a non-empty string _id', logical)
        }
        record(doc._id, { kind: 'insert', doc: structuredClone(doc) })
      },
      update(id, update, { upsert = false } = {}) {
        validateUpdate(logical, id, update)
        record(id, { kind: 'update', update: structuredClone(update), upsert })
      },
      upsert(id, update) {
        this.update(id, update, { upsert: true })
      },
      replace(id, doc) {
        record(id, { kind: 'replace', doc: { ...structuredClone(doc), _id: id } })
      },
      delete(id) {
        record(id, { kind: 'delete' })
      },
      get: (id) => batch.get(physical, id),
      find: (filter, options) => batch.find(physical, filter, options),
    }
  }

  /** Number of distinct documents touched so far. */
  get touched(): number {
    let n = 0
    for (const c of this.entries.values()) n += c.size
    return n
  }

  /**
   * Loads every touched document (one query per collection), applies the
   * operations, and returns the writes for the changed ones.
   * @throws {@link DocumentOperationError} naming the event whose operation failed.
   */
  async collectWrites(): Promise<DocumentWrite[]> {
    for (const [collection, docs] of this.entries) {
      await this.load(collection, [...docs.keys()])
    }
    const writes: DocumentWrite[] = []
    for (const [collection, docs] of this.entries) {
      for (const [id, entry] of docs) {
        this.materialize(collection, id, entry)
        if (entry.lastApplied === undefined) continue
        const base = entry.base
        const expectedRevision = base?.meta.revision ?? 0
        if (entry.current === undefined) {
          if (base) writes.push({ kind: 'delete', collection, id, expectedRevision })
          continue
        }
        writes.push({
          kind: 'put',
          collection,
          doc: entry.current,
          expectedRevision,
          meta: {
            revision: expectedRevision + 1,
            positions: { ...(base?.meta.positions ?? {}), [this.partitionKey]: entry.lastApplied.toString() },
          },
        })
      }
    }
    return writes
  }

  private record(collection: string, id: string, op: DocumentOperation): void {
    if (typeof id !== 'string' || id === '') throw new InvalidDocumentOperationError('document id must be a non-empty string', collection)
    let c = this.entries.get(collection)
    if (!c) this.entries.set(collection, (c = new Map()))
    let e = c.get(id)
    if (!e) c.set(id, (e = { loaded: false, base: undefined, current: undefined, pending: [], lastApplied: undefined }))
    e.pending.push({ position: this.position, op })
  }

  private async load(collection: string, ids: string[]): Promise<void> {
    const c = this.entries.get(collection)!
    const missing = ids.filter((id) => !c.get(id)!.loaded)
    if (missing.length === 0) return
    const found = await this.store.getMany(collection, missing)
    for (const id of missing) {
      const e = c.get(id)!
      e.loaded = true
      e.base = found.get(id)
      e.current = e.base?.doc
    }
  }

  private materialize(collection: string, id: string, e: Entry): void {
    const applied = e.base?.meta.positions[this.partitionKey]
    const done = applied === undefined ? -1n : BigInt(applied)
    for (const { position, op } of e.pending) {
      if (position <= done) continue
      try {
        e.current = apply(collection, id, e.current, op)
      } catch (cause) {
        throw new DocumentOperationError(position, collection, id, { cause })
      }
      e.lastApplied = position
    }
    e.pending = []
  }

  private async get(collection: string, id: string): Promise<Document | undefined> {
    const e = this.entries.get(collection)?.get(id)
    if (!e) return this.store.get(collection, id)
    await this.load(collection, [id])
    this.materialize(collection, id, e)
    return e.current && structuredClone(e.current)
  }

  private async find(collection: string, filter: Filter = {}, options: FindOptions = {}): Promise<Document[]> {
    const c = this.entries.get(collection)
    if (!c || c.size === 0) return this.store.find(collection, filter, options)
    const ids = [...c.keys()]
    await this.load(collection, ids)
    for (const id of ids) this.materialize(collection, id, c.get(id)!)
    const stored = (await this.store.find(collection, filter, options.sort ? { sort: options.sort } : {})).filter((d) => !c.has(d._id))
    const own = [...c.values()].map((e) => e.current).filter((d): d is Document => d !== undefined && matches(filter, d))
    return structuredClone(query([...stored, ...own], {}, options))
  }
}

const apply = (collection: string, id: string, current: Document | undefined, op: DocumentOperation): Document | undefined => {
  switch (op.kind) {
    case 'insert':
      if (current) throw new DuplicateDocumentError(collection, id)
      return op.doc
    case 'replace':
      return op.doc
    case 'delete':
      return undefined
    case 'update':
      // The batch owns `current` (a fresh read or its own copy), so it is changed in place.
      return applyUpdate(collection, id, current, op.update, op.upsert, { inPlace: true, validated: true })
  }
}
