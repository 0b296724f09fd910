import {
  backoffDelay,
  defaultEventRegistry,
  EventfoldError,
  sleep,
  type BackoffPolicy,
  type EventRegistry,
  type EventStore,
  type RecordedEvent,
} from '@eventfold/core'
import { DocumentBatch, DocumentOperationError } from '../documents/document-batch'
import type { DocumentStore, DocumentWrite } from '../documents/document-store'
import { DEAD_LETTER_COLLECTION, parkWrite } from '../dead-letters/dead-letters'
import { DocumentConflictError, InvalidDocumentOperationError } from '../errors/errors'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { checkpointName, physicalCollection, ProjectionStates } from '../projection/projection-state'
import { BatchReader } from './batch-reader'
import { LeaseLostError, type LeaseFence } from './leases'
import { assertPartition, inPartition, partitionKey, SINGLE_PARTITION, type Partition } from './partition'

/** Progress of one worker, reported after each committed batch. */
export interface WorkerProgress {
  readonly projection: string
  readonly partition: string
  readonly generation: number
  /** Last position committed. */
  readonly checkpoint: bigint | undefined
  /** Events read (all partitions' events count, as they advance the checkpoint). */
  readonly eventsRead: number
  /** Events this partition applied. */
  readonly eventsApplied: number
  /** Document writes sent to the store. */
  readonly writes: number
  readonly batches: number
  readonly parked: number
}

/** Options of {@link ProjectionWorker}. */
export interface ProjectionWorkerOptions {
  readonly eventStore: EventStore
  readonly documents: DocumentStore
  readonly projection: ProjectionDefinition
  /** @default all events in one partition */
  readonly partition?: Partition
  /** Generation of the read model to build. @default the active one (created as 1 when new) */
  readonly generation?: number
  /** @default the global registry (for upcasting) */
  readonly registry?: EventRegistry
  /** Maximum events per batch. @default 1000 */
  readonly batchSize?: number
  /** How long a batch waits to fill after its first event. @default 25 */
  readonly maxBatchWaitMs?: number
  /** Attempts at one event before it is parked as a dead letter. @default 3 */
  readonly maxAttempts?: number
  /** Backoff between attempts, and for store errors (which are retried until stop). @default { initialDelayMs: 50, maxDelayMs: 5000 } */
  readonly retry?: BackoffPolicy
  /** Stop once the subscription has caught up with the head (catch-up and rebuild mode). @default false */
  readonly stopAtHead?: boolean
  readonly onProgress?: (progress: WorkerProgress) => void
  /** Told about each store error that will be retried. @default a process warning */
  readonly onError?: (error: unknown) => void
  /** Makes every commit renew this lease too, so a worker whose lease was taken over cannot write. */
  readonly fence?: LeaseFence
}

/** The worker's partition count differs from the one the read model was built with. */
export class PartitionCountMismatchError extends EventfoldError {
  readonly type = 'partition-count-mismatch' as const
  constructor(
    readonly projection: string,
    readonly built: number,
    readonly requested: number,
  ) {
    super(`Projection '${projection}' is built with ${built} partition(s), not ${requested}: rebuild it to change the partition count`)
  }
}

/** The projection's first rebuild is still running: there is no generation for a live worker yet. */
export class RebuildInProgressError extends EventfoldError {
  readonly type = 'rebuild-in-progress' as const
  constructor(
    readonly projection: string,
    readonly generation: number,
  ) {
    super(`Projection '${projection}' has no read model yet: its first rebuild (generation ${generation}) is in progress; resume it with rebuild`)
  }
}

/**
 * Follows the log for one partition of one projection: reads from its
 * checkpoint in batches, applies the handlers, and commits the coalesced
 * writes together with the new checkpoint.
 *
 * Guarantees: an event is applied once (atomic commit where the store has
 * transactions; per-document positions otherwise), in log order within the
 * partition; a handler that keeps failing parks its event and the worker
 * moves on; `stop()` lets the in-flight batch finish.
 */
export class ProjectionWorker {
  private readonly opts: Required<Pick<ProjectionWorkerOptions, 'batchSize' | 'maxBatchWaitMs' | 'maxAttempts' | 'stopAtHead'>> & ProjectionWorkerOptions
  private readonly partition: Partition
  private readonly key: string
  private readonly registry: EventRegistry
  private stopRequested = false
  private stopSignal!: () => void
  private readonly stopped: Promise<void>
  private progress: WorkerProgress

  constructor(options: ProjectionWorkerOptions) {
    this.opts = { batchSize: 1000, maxBatchWaitMs: 25, maxAttempts: 3, stopAtHead: false, ...options }
    this.partition = options.partition ?? SINGLE_PARTITION
    assertPartition(this.partition)
    this.key = partitionKey(this.partition)
    this.registry = options.registry ?? defaultEventRegistry
    this.stopped = new Promise((resolve) => (this.stopSignal = resolve))
    this.progress = {
      projection: options.projection.name,
      partition: this.key,
      generation: options.generation ?? 0,
      checkpoint: undefined,
      eventsRead: 0,
      eventsApplied: 0,
      writes: 0,
      batches: 0,
      parked: 0,
    }
  }

  /** Counters so far. */
  get status(): WorkerProgress {
    return this.progress
  }

  /** Asks the worker to stop after the in-flight batch. */
  async stop(): Promise<void> {
    this.stopRequested = true
    this.stopSignal()
  }

  /**
   * Runs until `stop()` (or until caught up with `stopAtHead`). Resolves with
   * the final progress.
   * @throws {@link PartitionCountMismatchError}
   */
  async run(): Promise<WorkerProgress> {
    const { documents, projection } = this.opts
    const states = new ProjectionStates(documents)
    const generation = this.opts.generation ?? (await this.activeGeneration(states))
    this.progress = { ...this.progress, generation }
    await documents.ensureIndexes(
      projection.indexes.map((i) => ({ ...i, collection: physicalCollection(i.collection, generation) })),
    )
    const name = checkpointName(projection.name, generation, this.key)
    let checkpoint = await documents.readCheckpoint(name)
    this.progress = { ...this.progress, checkpoint }
    let caughtUp!: () => void
    const caughtUpSignal = new Promise<void>((resolve) => (caughtUp = resolve))
    const subscription = this.opts.eventStore.subscribeToAll({
      fromPosition: checkpoint ?? 'start',
      filter: { eventTypes: projection.eventTypes },
      onCaughtUp: () => caughtUp(),
    })
    const reader = new BatchReader(subscription[Symbol.asyncIterator]())
    const until = this.opts.stopAtHead ? Promise.race([this.stopped, caughtUpSignal]) : this.stopped
    try {
      while (!this.stopRequested) {
        const events = await reader.read(this.opts.batchSize, this.opts.maxBatchWaitMs, until)
        if (events.length === 0) break
        checkpoint = await this.processBatch(events, name, generation)
        // Let timers and I/O run between batches. With a synchronous store
        // (SQLite, in-memory) every read and commit settles at once, so a
        // catch-up is otherwise one unbroken chain of microtasks: the host's
        // lease renewals, heartbeats and rebalancing, and signal handlers,
        // would not run until the worker reached the head.
        await yieldToEventLoop()
      }
    } finally {
      await subscription.close()
    }
    return this.progress
  }

  private async activeGeneration(states: ProjectionStates): Promise<number> {
    const { projection } = this.opts
    const state = await states.update(projection.name, (s) =>
      s ?? { name: projection.name, generation: 1, version: projection.version, partitions: this.partition.count, updatedAt: '' },
    )
    if (state!.generation === 0) throw new RebuildInProgressError(projection.name, state!.rebuilding?.generation ?? 1)
    if (state!.partitions !== this.partition.count) {
      throw new PartitionCountMismatchError(projection.name, state!.partitions, this.partition.count)
    }
    return state!.generation
  }

  /** Applies one batch until it commits; returns the new checkpoint. */
  private async processBatch(events: readonly RecordedEvent[], checkpoint: string, generation: number): Promise<bigint> {
    const { documents, projection, maxAttempts } = this.opts
    const retry = this.opts.retry ?? { initialDelayMs: 50, maxDelayMs: 5000 }
    const last = events[events.length - 1]!.position
    const mine = events.filter((e) => inPartition(e, this.partition, projection.partitionBy))
    const failures = new Map<bigint, number>()
    const parked = new Map<bigint, { event: RecordedEvent; error: unknown; attempts: number }>()
    const resolve = (logical: string): string => {
      if (!projection.collections.includes(logical)) {
        throw new InvalidDocumentOperationError(`projection '${projection.name}' does not declare this collection`, logical)
      }
      return physicalCollection(logical, generation)
    }
    for (let storeAttempt = 1; ; ) {
      const batch = new DocumentBatch(documents, resolve, this.key, projection.collections[0]!)
      let failed: { event: RecordedEvent; error: unknown } | undefined
      for (const raw of mine) {
        if (parked.has(raw.position)) continue
        try {
          batch.setPosition(raw.position)
          await projection.handle(this.registry.upcast(raw), batch.documents())
        } catch (error) {
          failed = { event: raw, error }
          break
        }
      }
      let writes: DocumentWrite[] = []
      if (!failed) {
        try {
          writes = await batch.collectWrites()
        } catch (error) {
          if (!(error instanceof DocumentOperationError)) throw error
          failed = { event: mine.find((e) => e.position === error.position)!, error: error.cause ?? error }
        }
      }
      if (failed) {
        const n = (failures.get(failed.event.position) ?? 0) + 1
        failures.set(failed.event.position, n)
        if (n >= maxAttempts) parked.set(failed.event.position, { ...failed, attempts: n })
        else await sleep(backoffDelay(n + 1, retry))
        continue
      }
      try {
        const parkWrites = await this.parkWrites(parked, generation)
        const request = { writes: [...writes, ...parkWrites], checkpoint: { name: checkpoint, position: last } }
        const fence = this.opts.fence
        const result = fence
          ? await fence.commit((renewal) => documents.commit({ ...request, writes: [...request.writes, renewal] }))
          : await documents.commit(request)
        this.progress = {
          ...this.progress,
          checkpoint: last,
          eventsRead: this.progress.eventsRead + events.length,
          eventsApplied: this.progress.eventsApplied + mine.length - parked.size,
          writes: this.progress.writes + result.writes,
          batches: this.progress.batches + 1,
          parked: this.progress.parked + parkWrites.length,
        }
        this.opts.onProgress?.(this.progress)
        return last
      } catch (error) {
        if (error instanceof LeaseLostError) throw error
        // Another partition wrote a shared document: recompute from fresh reads.
        if (error instanceof DocumentConflictError) continue
        ;(this.opts.onError ?? defaultOnError)(error)
        storeAttempt++
        await Promise.race([sleep(backoffDelay(storeAttempt, retry)), this.stopped])
        if (this.stopRequested && storeAttempt > 3) throw error
      }
    }
  }

  /** Park writes for events not parked yet (a replayed batch may have parked them already). */
  private async parkWrites(parked: Map<bigint, { event: RecordedEvent; error: unknown; attempts: number }>, generation: number): Promise<DocumentWrite[]> {
    if (parked.size === 0) return []
    const { projection, documents } = this.opts
    const writes = [...parked.values()].map((p) => {
      const w = parkWrite(projection.name, this.key, generation, p.event, p.error, p.attempts)
      // Deterministic id: the same event parked twice is one dead letter.
      const id = `${projection.name}@${generation}:${p.event.position}`
      return w.kind === 'put' ? { ...w, doc: { ...w.doc, _id: id } } : w
    })
    const existing = await documents.getMany(DEAD_LETTER_COLLECTION, writes.map((w) => (w.kind === 'put' ? w.doc._id : w.id)))
    return writes.filter((w) => w.kind === 'put' && !existing.has(w.doc._id))
  }
}

const defaultOnError = (error: unknown): void => {
  process.emitWarning(`eventfold projection worker: ${(error as Error)?.message ?? String(error)} (retrying)`)
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
