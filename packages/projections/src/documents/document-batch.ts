import { EventfoldError } from '@eventfold/core'
import type { Document, Filter, FindOptions } from './document'
import type { DocumentStore, DocumentWrite, StoredDocument } from './document-store'
import type { DocumentOperation, Documents } from './documents'
import { assertCollectionName, assertDocumentBody, assertDocumentId, assertFilter, assertFindOptions, assertUpdateFields } from './document-input'
import { applySimpleUpdate, applyUpdate, assertFilterParses, clonePlain, hasNestedValues, matches, query, validateUpdate } from './mongo-semantics'
import { DuplicateDocumentError, InvalidDocumentOperationError } from '../errors/errors'

interface PendingOp {
  readonly position: bigint
  readonly op: DocumentOperation
}

interface Entry {
  loaded: boolean
  base: StoredDocument | undefined
  current: Document | undefined
  /** Position this partition had applied to the stored document (-1 when none, or positions are not tracked). */
  done: bigint
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
 * A handler's read of the store failed for the store's sake (a driver error,
 * not a typed eventfold error such as a bad filter): an outage to wait for,
 * not a failure of the event the handler was applying.
 */
export class DocumentReadError extends EventfoldError {
  readonly type = 'document-read-failed' as const
  constructor(
    readonly collection: string,
    options: { cause: unknown },
  ) {
    super(`Reading ${collection} failed: ${(options.cause as Error)?.message}`, options)
  }
}

/** Options of {@link DocumentBatch}. */
export interface DocumentBatchOptions {
  /**
   * Skip operations at or below the position this partition already applied
   * to a document, and record the new one in the document's bookkeeping.
   * Turn it off only when something else guarantees that no event is applied
   * twice (e.g. per-stream markers committed in the same transaction).
   * @default true
   */
  readonly trackPositions?: boolean
}

/**
 * The writes of one batch of one partition, coalesced per document: each
 * document touched is read once, every operation on it is applied in memory
 * in event order, and one write per changed document goes to the store.
 *
 * Operations from an event at or below the position this partition already
 * applied to a document are skipped, so a batch redone after a crash
 * (writes committed, checkpoint not) changes nothing twice.
 *
 * After a successful commit, {@link committed} turns the batch into the
 * next one while keeping the documents it holds, as the store now has them:
 * the next batch reads only documents it has not seen. The revisions in the
 * writes keep this safe when someone else changes a kept document: the
 * commit fails with a conflict, and the caller starts over with a new batch.
 */
export class DocumentBatch {
  private readonly entries = new Map<string, Map<string, Entry>>()
  private position: bigint = -1n
  private readonly handles = new Map<string, Documents>()
  private readonly trackPositions: boolean
  /** The failure of an operation applied at once; the batch cannot be used after it. */
  private broken: DocumentOperationError | undefined
  /** Entries that got operations since the last {@link settle}. */
  private recorded: { collection: string; id: string; entry: Entry }[] = []

  constructor(
    private readonly store: DocumentStore,
    /** Logical collection name → physical name in the store. */
    private readonly resolve: (logical: string) => string,
    /** The partition's key in each document's bookkeeping, e.g. `'0/4'`. */
    private readonly partitionKey: string,
    private readonly defaultCollection: string,
    { trackPositions = true }: DocumentBatchOptions = {},
  ) {
    this.trackPositions = trackPositions
  }

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
    assertCollectionName(physical)
    const record = (id: string, op: DocumentOperation) => batch.record(physical, id, op, false)
    return {
      name: logical,
      collection: (name) => batch.documents(name),
      insert(doc) {
        if (typeof doc?._id !== 'string' || doc._id === '') {
          throw new InvalidDocumentOperationError('insert needs a non-empty string _id', logical)
        }
        assertDocumentId(logical, doc._id)
        assertDocumentBody(logical, doc._id, doc)
        record(doc._id, { kind: 'insert', doc: clonePlain(doc) })
      },
      update(id, update, { upsert = false } = {}) {
        assertDocumentId(logical, id)
        validateUpdate(logical, id, update)
        assertUpdateFields(logical, id, update)
        // Not copied yet: applied at once (the usual case), the spec is used before the handler can change it.
        batch.record(physical, id, { kind: 'update', update, upsert }, true)
      },
      upsert(id, update) {
        this.update(id, update, { upsert: true })
      },
      replace(id, doc) {
        assertDocumentId(logical, id)
        assertDocumentBody(logical, id, doc)
        record(id, { kind: 'replace', doc: { ...clonePlain(doc), _id: id } })
      },
      delete(id) {
        assertDocumentId(logical, id)
        record(id, { kind: 'delete' })
      },
      // async: a bad id or filter rejects the promise, as any read failure does, instead of throwing at the call.
      get: async (id) => {
        assertDocumentId(logical, id)
        return storeRead(physical, batch.get(physical, id))
      },
      find: async (filter, options) => {
        // A bad filter is the handler's fault: it must fail the event, not pass for a store outage.
        assertFilter(logical, filter)
        assertFindOptions(logical, options)
        assertFilterParses(logical, filter)
        return storeRead(physical, batch.find(physical, filter, options))
      },
    }
  }

  /** Number of distinct documents this batch holds (touched, or kept from earlier batches). */
  get size(): number {
    let n = 0
    for (const c of this.entries.values()) n += c.size
    return n
  }

  /**
   * Position of the last operation applied to a document by this batch
   * (after {@link collectWrites}): which event a store error about it concerns.
   */
  lastPositionOf(collection: string, id: string): bigint | undefined {
    return this.entries.get(collection)?.get(id)?.lastApplied
  }

  /**
   * Call after `writes` (this batch's {@link collectWrites}) were committed:
   * the batch becomes an empty next batch that still knows every document
   * it loaded or wrote, at its stored revision. Then, when it holds more
   * than `keep` documents, it forgets them all.
   */
  committed(writes: readonly DocumentWrite[], keep: number): void {
    const written = new Map<string, Map<string, DocumentWrite>>()
    for (const w of writes) {
      let c = written.get(w.collection)
      if (!c) written.set(w.collection, (c = new Map()))
      c.set(w.kind === 'put' ? w.doc._id : w.id, w)
    }
    this.recorded = []
    if (this.size > keep) {
      this.entries.clear()
      return
    }
    for (const [collection, docs] of this.entries) {
      const byId = written.get(collection)
      for (const [id, e] of docs) {
        e.pending = []
        e.lastApplied = undefined
        const w = byId?.get(id)
        if (!w) continue
        e.base = w.kind === 'put' ? { doc: w.doc, meta: w.meta } : undefined
        e.current = e.base?.doc
        e.done = this.doneOf(e.base)
      }
    }
  }

  /**
   * Loads the documents touched since the last call (one query per
   * collection) and applies their recorded operations, so that the batch
   * holds documents, not a growing list of operations: a batch may span far
   * more events than it could keep.
   * @throws {@link DocumentOperationError} naming the event whose operation failed.
   */
  async settle(): Promise<void> {
    if (this.broken) throw this.broken
    const recorded = this.recorded
    if (recorded.length === 0) return
    this.recorded = []
    const missing = new Map<string, string[]>()
    for (const { collection, id, entry } of recorded) {
      if (entry.loaded) continue
      let ids = missing.get(collection)
      if (!ids) missing.set(collection, (ids = []))
      ids.push(id)
    }
    for (const [collection, ids] of missing) await this.load(collection, ids)
    for (const { collection, id, entry } of recorded) this.materialize(collection, id, entry)
  }

  /**
   * Loads every touched document (one query per collection), applies the
   * operations, and returns the writes for the changed ones.
   * @throws {@link DocumentOperationError} naming the event whose operation failed.
   */
  async collectWrites(): Promise<DocumentWrite[]> {
    // Every document with operations still queued is among those settle() handles: the rest are loaded and applied.
    await this.settle()
    const writes: DocumentWrite[] = []
    for (const [collection, docs] of this.entries) {
      for (const [id, entry] of docs) {
        if (entry.lastApplied === undefined) continue
        const base = entry.base
        const expectedRevision = base?.meta.revision ?? 0
        if (entry.current === undefined) {
          if (base) writes.push({ kind: 'delete', collection, id, expectedRevision })
          continue
        }
        const positions = base?.meta.positions ?? {}
        writes.push({
          kind: 'put',
          collection,
          doc: entry.current,
          expectedRevision,
          meta: {
            revision: expectedRevision + 1,
            positions: this.trackPositions ? { ...positions, [this.partitionKey]: entry.lastApplied.toString() } : positions,
          },
        })
      }
    }
    return writes
  }

  /**
   * Records an operation of the current event. On a document the batch
   * already holds, with nothing queued before it, the operation is applied
   * at once; otherwise it is queued until the document is loaded. A failed
   * operation breaks the batch: it can no longer be settled or committed.
   */
  private record(collection: string, id: string, op: DocumentOperation, copyWhenQueued: boolean): void {
    if (this.broken) throw this.broken
    if (typeof id !== 'string' || id === '') throw new InvalidDocumentOperationError('document id must be a non-empty string', collection)
    let c = this.entries.get(collection)
    if (!c) this.entries.set(collection, (c = new Map()))
    let e = c.get(id)
    if (!e) c.set(id, (e = { loaded: false, base: undefined, current: undefined, done: -1n, pending: [], lastApplied: undefined }))
    const position = this.position
    if (e.loaded && e.pending.length === 0) {
      if (position <= e.done) return
      // mingo copies set and pushed values one level deep only: nested values are copied here.
      if (copyWhenQueued && op.kind === 'update' && hasNestedValues(op.update)) op = { ...op, update: clonePlain(op.update) }
      try {
        e.current = apply(collection, id, e.current, op)
      } catch (cause) {
        throw (this.broken = new DocumentOperationError(position, collection, id, { cause }))
      }
      e.lastApplied = position
      return
    }
    if (e.pending.length === 0) this.recorded.push({ collection, id, entry: e })
    e.pending.push({ position, op: copyWhenQueued && op.kind === 'update' ? { ...op, update: clonePlain(op.update) } : op })
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
      e.done = this.doneOf(e.base)
    }
  }

  private doneOf(base: StoredDocument | undefined): bigint {
    const applied = this.trackPositions ? base?.meta.positions[this.partitionKey] : undefined
    return applied === undefined ? -1n : BigInt(applied)
  }

  private materialize(collection: string, id: string, e: Entry): void {
    if (e.pending.length === 0) return
    for (const { position, op } of e.pending) {
      if (position <= e.done) continue
      try {
        e.current = apply(collection, id, e.current, op)
      } catch (cause) {
        throw (this.broken = new DocumentOperationError(position, collection, id, { cause }))
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

/** A handler's read, with the store's own failures told apart from the handler's (see {@link DocumentReadError}). */
const storeRead = async <T>(collection: string, read: Promise<T>): Promise<T> => {
  try {
    return await read
  } catch (cause) {
    if (cause instanceof EventfoldError || cause instanceof DocumentOperationError) throw cause
    throw new DocumentReadError(collection, { cause })
  }
}

const IN_PLACE = { inPlace: true, validated: true } as const

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
      if (current && applySimpleUpdate(current as Record<string, unknown>, op.update)) return current
      return applyUpdate(collection, id, current, op.update, op.upsert, IN_PLACE)
  }
}
