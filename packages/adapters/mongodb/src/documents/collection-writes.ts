import { MongoBulkWriteError, type AnyBulkWriteOperation, type ClientSession, type Collection, type ObjectId } from 'mongodb'
import type { DocumentWrite } from '@eventfold/projections/spi'
import type { StoredState } from '../mongo-errors'
import { BOOKKEEPING_FIELD, STATE_ONLY, storedState, toMongoDocument, type MongoDocument } from './bookkeeping'

/** The writes of one commit to one collection, in the order they are sent: deletes first, then puts. */
export type CollectionWrites = readonly DocumentWrite[]

/** What the server said about one collection's bulk write. */
export interface BulkOutcome {
  readonly collection: string
  readonly writes: CollectionWrites
  readonly matched: number
  readonly upserted: number
  readonly deleted: number
  /** Index in `writes` → code of the write error the server reported there. */
  readonly errors: ReadonlyMap<number, number>
  /** The bulk's error, when it had one (write errors, or a failed command). */
  readonly error: MongoBulkWriteError | undefined
}

/**
 * The first write of a collection's bulk that did not take effect: its
 * document is not at the revision the write expected (`conflict`), or it is
 * and the server refused the write (`refused`, e.g. for a unique index).
 */
export interface Verdict {
  readonly index: number
  readonly write: DocumentWrite
  readonly state: StoredState
  readonly kind: 'conflict' | 'refused'
  /** For `refused`: the code reported for this write, else the bulk's own code. */
  readonly code: number | undefined
}

/** The `_id` a write targets. */
export const idOf = (write: DocumentWrite): string => (write.kind === 'put' ? write.doc._id : write.id)

/** Whether the document is where the write expects it: absent or without bookkeeping for revision 0, else at that revision. */
export const atExpectedRevision = (write: DocumentWrite, state: StoredState): boolean =>
  write.expectedRevision === 0 ? !state.exists || state.revision === undefined : state.exists && state.revision === write.expectedRevision

/**
 * Orders a collection's writes for sending: deletes before puts, each in
 * request order, so that a unique value freed by a delete can be taken by a
 * put of the same commit (a commit stores final states: the order of the
 * events that made them is already folded in).
 */
export const sendingOrder = (writes: readonly DocumentWrite[]): CollectionWrites => [
  ...writes.filter((w) => w.kind === 'delete'),
  ...writes.filter((w) => w.kind === 'put'),
]

/**
 * The bulk operation of each write, guarded by the revision it expects: a put
 * at revision 0 replaces only a document without bookkeeping, inserting it
 * when missing (an existing eventfold document makes the insert fail on
 * `_id`); a put at revision n replaces only the document at n; a delete
 * removes only the document at its expected revision.
 */
export const bulkOperations = (writes: CollectionWrites, commit: ObjectId): AnyBulkWriteOperation<MongoDocument>[] =>
  writes.map((write) => {
    const guard =
      write.expectedRevision === 0
        ? { _id: idOf(write), [BOOKKEEPING_FIELD]: { $exists: false } }
        : { _id: idOf(write), [`${BOOKKEEPING_FIELD}.rev`]: write.expectedRevision }
    if (write.kind === 'delete') return { deleteOne: { filter: guard } }
    return { replaceOne: { filter: guard, replacement: toMongoDocument(write.doc, write.meta, commit), upsert: write.expectedRevision === 0 } }
  })

/**
 * Sends a collection's writes as one ordered bulk write (one `delete` and one
 * `update` command at most), or, with `chunkSize`, as ordered bulk writes of
 * that many writes each, one after the other, stopping after one that
 * failed, as an ordered bulk write does. The error of a bulk write is
 * returned in the outcome, to be judged; other errors are thrown, and so is a
 * transaction's transient error, for the transaction to be retried.
 */
export const bulkWrite = async (
  collection: Collection<MongoDocument>,
  writes: CollectionWrites,
  commit: ObjectId,
  { session, chunkSize }: { readonly session?: ClientSession | undefined; readonly chunkSize?: number | undefined } = {},
): Promise<BulkOutcome> => {
  const operations = bulkOperations(writes, commit)
  const size = chunkSize ?? Math.max(operations.length, 1)
  let outcome: BulkOutcome = { collection: collection.collectionName, writes, matched: 0, upserted: 0, deleted: 0, errors: new Map(), error: undefined }
  for (let offset = 0; offset < operations.length && !outcome.error; offset += size) {
    const chunk = await sendChunk(collection, operations.slice(offset, offset + size), session)
    outcome = {
      ...outcome,
      matched: outcome.matched + chunk.matched,
      upserted: outcome.upserted + chunk.upserted,
      deleted: outcome.deleted + chunk.deleted,
      errors: new Map([...chunk.errors].map(([index, code]) => [index + offset, code])),
      error: chunk.error,
    }
  }
  return outcome
}

const sendChunk = async (
  collection: Collection<MongoDocument>,
  operations: AnyBulkWriteOperation<MongoDocument>[],
  session: ClientSession | undefined,
): Promise<Pick<BulkOutcome, 'matched' | 'upserted' | 'deleted' | 'errors' | 'error'>> => {
  try {
    const r = await collection.bulkWrite(operations, { ordered: true, ignoreUndefined: true, ...(session ? { session } : {}) })
    return { matched: r.matchedCount, upserted: r.upsertedCount, deleted: r.deletedCount, errors: new Map(), error: undefined }
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError) || error.hasErrorLabel('TransientTransactionError')) throw error
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors]
    const r = error.result
    return {
      matched: r.matchedCount,
      upserted: r.upsertedCount,
      deleted: r.deletedCount,
      errors: new Map(writeErrors.map((e) => [e.index, e.code])),
      error,
    }
  }
}

/**
 * Whether every write certainly took effect: no error, every put matched or
 * inserted one document, every delete removed one. Only when not are the
 * documents read back to judge the writes.
 */
export const allApplied = ({ writes, matched, upserted, deleted, error }: BulkOutcome): boolean => {
  const puts = writes.filter((w) => w.kind === 'put').length
  return error === undefined && matched + upserted === puts && deleted === writes.length - puts
}

/** The states of the documents the writes touch, as they are now. */
export const readStates = async (collection: Collection<MongoDocument>, writes: CollectionWrites): Promise<Map<string, StoredState>> => {
  const ids = [...new Set(writes.map(idOf))]
  const states = new Map<string, StoredState>(ids.map((id) => [id, { exists: false }]))
  for await (const doc of collection.find({ _id: { $in: ids } }, { projection: STATE_ONLY })) states.set(doc._id, storedState(doc))
  return states
}

/**
 * Finds the first write of a collection's bulk that did not take effect, by
 * the documents' states read afterwards, because what the server reports
 * cannot always be tied to a write (an update reports one match count for
 * all its statements; FerretDB also misnumbers write errors and miscounts
 * after one).
 *
 * `applied` (no transaction: the writes that succeeded stay): a put took
 * effect when its document carries `commit`; a delete, when its document is
 * gone. As another writer may have deleted a document too, deletes of missing
 * documents are checked against the server's deleted count when the bulk had
 * no error: a shortfall is reported as a conflict on one of them, which is
 * true of each (none is at its expected revision).
 *
 * `rolled-back` (the transaction aborted: nothing stayed): a write failed
 * when its document is not at the revision it expected, or when the server
 * reported an error for it.
 */
export const judge = (outcome: BulkOutcome, states: ReadonlyMap<string, StoredState>, mode: 'applied' | 'rolled-back', commit: ObjectId): Verdict | undefined => {
  const commitHex = commit.toHexString()
  const bulkCode = typeof outcome.error?.code === 'number' ? outcome.error.code : undefined
  const absentDeletes: number[] = []
  let unguardedDeletes = 0
  let first: Verdict | undefined
  for (const [index, write] of outcome.writes.entries()) {
    // Every delete is looked at (they come first) for the count below; puts only up to the first failure.
    if (first && write.kind === 'put') break
    const state = states.get(idOf(write)) ?? { exists: false }
    const reported = outcome.errors.get(index)
    const verdict = (kind: Verdict['kind']): Verdict => first ?? { index, write, state, kind, code: kind === 'refused' ? (reported ?? bulkCode) : undefined }
    if (!atExpectedRevision(write, state)) {
      const applied = mode === 'applied' && (write.kind === 'put' ? state.exists && state.commit === commitHex : !state.exists)
      if (!applied) first = verdict('conflict')
      else if (write.kind === 'delete' && write.expectedRevision > 0) absentDeletes.push(index)
    } else if (mode === 'rolled-back' || (write.kind === 'delete' && write.expectedRevision === 0)) {
      // Rolled back: every write at its expected revision would have applied but the one the server refused.
      // A delete at revision 0 removed a document without bookkeeping, or found nothing to remove: both are done.
      if (write.kind === 'delete' && write.expectedRevision === 0) unguardedDeletes++
      if (reported !== undefined) first = verdict('refused')
    } else {
      // At the expected revision and not written: the server refused it (or stopped before it, after an earlier failure).
      first = verdict('refused')
    }
  }
  // Deletes come first: if one of them missed, it is the first failure. Deletes at revision 0 may each
  // have removed a document without bookkeeping, or nothing: assume they all did.
  const missed = outcome.error ? 0 : absentDeletes.length - Math.max(0, outcome.deleted - unguardedDeletes)
  const index = absentDeletes[0]
  if (missed > 0 && index !== undefined && (first === undefined || index < first.index)) {
    return { index, write: outcome.writes[index]!, state: { exists: false }, kind: 'conflict', code: undefined }
  }
  return first
}
