import { isPermanentStoreError } from '@eventfold/core'
import type { CommitResult, DocumentStore, DocumentWrite } from '../documents/document-store'
import { LeaseLostError, type LeaseFence } from './leases'

/** Options of {@link PartitionCheckpoint}. */
export interface PartitionCheckpointOptions {
  readonly documents: DocumentStore
  /** The checkpoint's name. */
  readonly name: string
  /** Renewed by every commit when the partition is leased, so a worker that lost its lease cannot move the checkpoint. */
  readonly fence: LeaseFence | undefined
  /** Where the source has scanned to, every event up to it delivered. */
  readonly scanned: () => bigint | undefined
  /** Told about an idle checkpoint that could not be stored. */
  readonly onError: (error: unknown) => void
}

/**
 * The checkpoint of one partition as a sink stores it: with a batch's
 * writes in one commit, or alone when the events up to where the source
 * scanned were not the worker's. Projection and relay sinks share it.
 */
export class PartitionCheckpoint {
  private current: bigint | undefined

  constructor(
    private readonly options: PartitionCheckpointOptions,
    position: bigint | undefined,
  ) {
    this.current = position
  }

  /** The last position stored; `undefined` before the first. */
  get position(): bigint | undefined {
    return this.current
  }

  /** Commits `writes` with the checkpoint at `position` (renewing the lease when fenced); call {@link moved} once the batch is done. */
  commit(writes: DocumentWrite[], position: bigint): Promise<CommitResult> {
    const { documents, fence, name } = this.options
    const request = { writes, checkpoint: { name, position } }
    return fence ? fence.commit((renewal) => documents.commit({ ...request, fence: renewal })) : documents.commit(request)
  }

  /** Records that the checkpoint stands at `position`. */
  moved(position: bigint): void {
    this.current = position
  }

  /**
   * Stores the checkpoint alone at where the source scanned, when that is
   * past it. `beforeCommit` runs the engine's checks first.
   * @returns the position stored, or `undefined` when nothing was stored.
   * @throws {@link LeaseLostError} and permanent store errors; other failures are told to `onError` and tried again at the next idle moment.
   */
  async idle(beforeCommit: () => Promise<void>): Promise<bigint | undefined> {
    const scanned = this.options.scanned()
    if (scanned === undefined || (this.current !== undefined && scanned <= this.current)) return undefined
    await beforeCommit()
    try {
      await this.commit([], scanned)
    } catch (error) {
      if (error instanceof LeaseLostError || isPermanentStoreError(error)) throw error
      // Nothing depends on it: the next idle moment tries again.
      this.options.onError(error)
      return undefined
    }
    this.moved(scanned)
    return scanned
  }
}

/**
 * The puts of `writes` whose document is not in `collection` yet: a batch
 * redone after a failed commit may have parked the same events already.
 */
export const withoutStored = async (documents: DocumentStore, collection: string, writes: readonly DocumentWrite[]): Promise<DocumentWrite[]> => {
  if (writes.length === 0) return []
  const existing = await documents.getMany(collection, writes.map((w) => (w.kind === 'put' ? w.doc._id : w.id)))
  return writes.filter((w) => w.kind === 'put' && !existing.has(w.doc._id))
}
