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
import { DocumentConflictError, DuplicateDocumentError } from '../errors/errors'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { checkpointName, ProjectionStates } from '../projection/projection-state'
import { BatchReader } from './batch-reader'
import { dropGeneration, generationCollections, generationIndexes, generationSwitchedFrom } from './generation-collections'
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
  /**
   * Generation of the read model to build; a worker given one builds that one
   * only (a rebuild's workers). Without it the worker serves the active
   * generation (created as 1 when new) and follows the projection when a
   * rebuild switches readers to another or a reset starts one: it checks
   * before each commit, drops its open batch, and continues in the new
   * generation from that generation's checkpoint.
   */
  readonly generation?: number
  /** @default the global registry (for upcasting) */
  readonly registry?: EventRegistry
  /** Maximum events per batch. @default 1000 */
  readonly batchSize?: number
  /** How long a batch waits to fill after its first event. @default 25 */
  readonly maxBatchWaitMs?: number
  /**
   * A batch commits once it has been open this long, however many events it
   * has: a large `batchSize` then still checkpoints (and reports progress)
   * regularly. @default no limit
   */
  readonly maxBatchMs?: number
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
  /**
   * Documents kept in memory from one batch to the next, so that a document
   * is read from the store once, not once per batch. A kept document that
   * someone else changed makes the commit fail on its revision, and the batch
   * is redone from fresh reads; over the limit, the worker forgets them all.
   * @default 0 (rebuilds keep 100,000)
   */
  readonly keepDocuments?: number
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

/** Events read from the subscription at a time; a batch is one or more of these reads. */
const READ_CHUNK = 1000
const DEFAULT_RETRY: BackoffPolicy = { initialDelayMs: 50, maxDelayMs: 5000 }

/** What every batch of one run shares. */
interface BatchContext {
  /** The checkpoint's name. */
  readonly name: string
  readonly generation: number
  readonly resolve: (logical: string) => string
  /**
   * For a worker that serves the active generation (no `generation` option):
   * the projection states, read before each commit to notice a switch.
   */
  readonly states: ProjectionStates | undefined
}

/** Thrown inside a run when the generation it serves is no longer the active one. */
class GenerationSwitched {
  constructor(readonly active: number) {}
}

/** An event that failed, by position, with its error. */
interface Failure {
  readonly position: bigint
  readonly error: unknown
}

/** The batch being built: events read after the checkpoint `after`, up to `last`, applied but not committed. */
interface Window {
  batch: DocumentBatch
  readonly after: bigint | undefined
  last: bigint
  /** Events read (every partition's: they all move the checkpoint). */
  read: number
  /** Events of this partition applied by the current `batch`. */
  applied: number
  /** `performance.now()` when it opened. */
  readonly openedAt: number
  readonly failures: Map<bigint, { attempts: number; error: unknown }>
  readonly parked: Map<bigint, { event: RecordedEvent; error: unknown; attempts: number }>
}

/**
 * Wakes a worker waiting for its next read: on stop, when the subscription
 * catches up, or after a timeout. A wake also ends the next wait at once:
 * the read it interrupted may already have had its first event, so without
 * that the wake would be lost. Each wait's promise is its own, so a worker
 * that reads for days holds no growing list of reactions.
 */
class Wakeup {
  private waiters = new Set<() => void>()
  private missed = false

  wake(): void {
    this.missed = true
    for (const w of this.waiters) w()
    this.waiters.clear()
  }

  next(timeoutMs?: number): { promise: Promise<void>; cancel: () => void } {
    if (this.missed) {
      this.missed = false
      return { promise: Promise.resolve(), cancel: () => {} }
    }
    let timer: NodeJS.Timeout | undefined
    let resolve!: () => void
    const promise = new Promise<void>((r) => (resolve = r))
    this.waiters.add(resolve)
    if (timeoutMs !== undefined) timer = setTimeout(resolve, timeoutMs)
    return {
      promise,
      cancel: () => {
        clearTimeout(timer)
        this.waiters.delete(resolve)
      },
    }
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
  /** The batch of the last commit, holding the documents kept for the next one. */
  private kept: DocumentBatch | undefined
  /** The batch being built, if any. */
  private window: Window | undefined
  private readonly wakeup = new Wakeup()

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
    this.wakeup.wake()
  }

  /**
   * Runs until `stop()` (or until caught up with `stopAtHead`). Resolves with
   * the final progress.
   * @throws {@link PartitionCountMismatchError}
   */
  async run(): Promise<WorkerProgress> {
    const { documents, projection } = this.opts
    const states = new ProjectionStates(documents)
    for (;;) {
      const generation = this.opts.generation ?? (await this.activeGeneration(states))
      const switched = await this.follow(generation, this.opts.generation === undefined ? states : undefined)
      if (!switched) return this.progress
      // A rebuild switched readers to another generation, or a reset started
      // one: serve that one from its checkpoint. The generation left behind
      // is dropped by whoever retired it, but a commit of this worker may have
      // landed after that drop: drop it again unless it came back into use.
      this.kept = undefined
      const state = await states.get(projection.name)
      if (state && state.generation !== generation && state.rebuilding?.generation !== generation) {
        await dropGeneration(documents, projection, generation, this.partition.count)
      }
    }
  }

  /**
   * Follows the log into `generation` until stopped (false), or until
   * `states` (given for a worker serving the active generation) says another
   * generation is active (true): the open batch is then dropped, not committed.
   */
  private async follow(generation: number, states: ProjectionStates | undefined): Promise<boolean> {
    const { documents, projection } = this.opts
    this.progress = { ...this.progress, generation }
    await documents.ensureIndexes(generationIndexes(projection, generation))
    const name = checkpointName(projection.name, generation, this.key)
    const checkpoint = await documents.readCheckpoint(name)
    this.progress = { ...this.progress, checkpoint }
    // Where the subscription has scanned to when it last caught up: every
    // matching event up to there has been delivered. A filtered worker whose
    // events are rare moves its checkpoint there, so its lag shows the truth
    // and a restart does not scan the same stretch of log again.
    let scanned: bigint | undefined
    let atHead = false
    const subscription = this.opts.eventStore.subscribeToAll({
      fromPosition: checkpoint ?? 'start',
      filter: { eventTypes: projection.eventTypes },
      onCaughtUp: (position) => {
        if (position !== undefined && (scanned === undefined || position > scanned)) scanned = position
        atHead = true
        this.wakeup.wake()
      },
    })
    const reader = new BatchReader((max: number) => subscription.nextBatch(max))
    const ctx: BatchContext = { name, generation, resolve: generationCollections(projection, generation), states }
    const { batchSize, maxBatchWaitMs } = this.opts
    const maxBatchMs = this.opts.maxBatchMs ?? Number.POSITIVE_INFINITY
    try {
      while (!this.stopRequested) {
        const open = this.window
        // An open batch waits for more events only `maxBatchWaitMs`; an empty one until there is something to do.
        const wait = this.wakeup.next(open ? maxBatchWaitMs : undefined)
        let events: RecordedEvent[]
        try {
          const size = Math.min(READ_CHUNK, batchSize - (open?.read ?? 0))
          events = await reader.read(size, maxBatchWaitMs, wait.promise)
        } finally {
          wait.cancel()
        }
        if (events.length > 0) await this.add(events, ctx)
        const window = this.window
        const full = window !== undefined && (window.read >= batchSize || performance.now() - window.openedAt >= maxBatchMs)
        if (window && (full || events.length < READ_CHUNK || this.stopRequested)) await this.commitWindow(ctx)
        // Every event read so far is committed: the checkpoint may move up to what the subscription scanned.
        if (!this.window && scanned !== undefined && (this.progress.checkpoint === undefined || scanned > this.progress.checkpoint)) {
          await this.advanceIdle(ctx, scanned)
        }
        if (events.length === 0 && !this.window && (reader.done || (this.opts.stopAtHead && atHead))) break
        // Let timers and I/O run between batches. With a synchronous store
        // (SQLite, in-memory) every read and commit settles at once, so a
        // catch-up is otherwise one unbroken chain of microtasks: the host's
        // lease renewals, heartbeats and rebalancing, and signal handlers,
        // would not run until the worker reached the head.
        await yieldToEventLoop()
      }
      if (this.window) await this.commitWindow(ctx)
    } catch (error) {
      if (error instanceof GenerationSwitched) return true
      throw error
    } finally {
      this.window = undefined
      await subscription.close()
    }
    return false
  }

  /** @throws GenerationSwitched when the worker serves the active generation and another one became active. */
  private async assertStillActive(ctx: BatchContext): Promise<void> {
    if (!ctx.states) return
    const active = await generationSwitchedFrom(ctx.states, this.opts.projection.name, ctx.generation)
    if (active !== undefined) throw new GenerationSwitched(active)
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

  private newBatch(ctx: BatchContext): DocumentBatch {
    return new DocumentBatch(this.opts.documents, ctx.resolve, this.key, this.opts.projection.collections[0]!)
  }

  /** Applies events to the open batch (opening one), redoing the batch when one of them fails. */
  private async add(events: readonly RecordedEvent[], ctx: BatchContext): Promise<void> {
    const window = (this.window ??= {
      batch: this.kept ?? this.newBatch(ctx),
      after: this.progress.checkpoint,
      last: events[0]!.position,
      read: 0,
      applied: 0,
      openedAt: performance.now(),
      failures: new Map(),
      parked: new Map(),
    })
    this.kept = undefined
    window.last = events[events.length - 1]!.position
    window.read += events.length
    const failure = await this.apply(window, window.batch, events)
    if (failure) await this.redo(window, failure, ctx)
  }

  /**
   * Runs the handlers of this partition's events in `events` into `batch`,
   * then settles it. An event that failed its last attempt is parked, not run.
   * @returns the first failure, if any (the batch is then unusable).
   */
  private async apply(window: Window, batch: DocumentBatch, events: readonly RecordedEvent[]): Promise<Failure | undefined> {
    const { projection, maxAttempts } = this.opts
    const view = batch.documents()
    for (const raw of events) {
      if (!inPartition(raw, this.partition, projection.partitionBy)) continue
      if (window.parked.size > 0 && window.parked.has(raw.position)) continue
      const failed = window.failures.size > 0 ? window.failures.get(raw.position) : undefined
      if (failed && failed.attempts >= maxAttempts) {
        window.parked.set(raw.position, { event: raw, error: failed.error, attempts: failed.attempts })
        continue
      }
      try {
        batch.setPosition(raw.position)
        // Most handlers are synchronous: awaiting only real promises spares every event two microtask turns.
        const done = projection.handle(this.registry.upcast(raw), view)
        if (done !== undefined) await done
      } catch (error) {
        return { position: raw.position, error }
      }
      window.applied++
    }
    try {
      await batch.settle()
    } catch (error) {
      if (!(error instanceof DocumentOperationError)) throw error
      return { position: error.position, error: error.cause ?? error }
    }
    return undefined
  }

  /**
   * Counts a failed attempt (`failure`, or none for a conflict), then builds
   * the open batch again from fresh reads of the store and of the log, until
   * it builds without failing: an event that keeps failing is parked on its
   * last attempt. The batch's events are read again rather than kept, so a
   * batch costs the memory of its documents, not of its events.
   */
  private async redo(window: Window, failure: Failure | undefined, ctx: BatchContext): Promise<void> {
    const retry = this.opts.retry ?? DEFAULT_RETRY
    for (;;) {
      if (failure) {
        const attempts = (window.failures.get(failure.position)?.attempts ?? 0) + 1
        window.failures.set(failure.position, { attempts, error: failure.error })
        if (attempts < this.opts.maxAttempts) await Promise.race([sleep(backoffDelay(attempts + 1, retry)), this.stopped])
      }
      const batch = this.newBatch(ctx)
      window.batch = batch
      window.applied = 0
      failure = undefined
      const from = window.after === undefined ? 'start' : window.after + 1n
      let chunk: RecordedEvent[] = []
      for await (const event of this.opts.eventStore.readAll({ fromPosition: from, filter: { eventTypes: this.opts.projection.eventTypes } })) {
        if (event.position > window.last) break
        chunk.push(event)
        if (chunk.length === READ_CHUNK) {
          failure = await this.apply(window, batch, chunk)
          chunk = []
          if (failure) break
        }
      }
      if (!failure && chunk.length > 0) failure = await this.apply(window, batch, chunk)
      if (!failure) return
    }
  }

  /** Commits the open batch with its checkpoint, redoing it when the store refuses it for a reason an event or a fresh read can fix. */
  private async commitWindow(ctx: BatchContext): Promise<void> {
    await this.assertStillActive(ctx)
    const window = this.window!
    const { documents, fence } = this.opts
    const retry = this.opts.retry ?? DEFAULT_RETRY
    let conflicts = 0
    for (let storeAttempt = 1; ; ) {
      const batch = window.batch
      let writes: DocumentWrite[]
      try {
        writes = await batch.collectWrites()
      } catch (error) {
        if (!(error instanceof DocumentOperationError)) throw error
        await this.redo(window, { position: error.position, error: error.cause ?? error }, ctx)
        continue
      }
      try {
        const parkWrites = await this.parkWrites(window.parked, ctx.generation)
        const request = { writes: [...writes, ...parkWrites], checkpoint: { name: ctx.name, position: window.last } }
        const result = fence
          ? await fence.commit((renewal) => documents.commit({ ...request, fence: renewal }))
          : await documents.commit(request)
        this.progress = {
          ...this.progress,
          checkpoint: window.last,
          eventsRead: this.progress.eventsRead + window.read,
          eventsApplied: this.progress.eventsApplied + window.applied,
          writes: this.progress.writes + result.writes,
          batches: this.progress.batches + 1,
          parked: this.progress.parked + parkWrites.length,
        }
        this.window = undefined
        const keep = this.opts.keepDocuments ?? 0
        if (keep > 0) {
          batch.committed(writes, keep)
          this.kept = batch
        }
        this.opts.onProgress?.(this.progress)
        return
      } catch (error) {
        if (error instanceof LeaseLostError) throw error
        // Another partition wrote a shared document: recompute from fresh reads.
        if (error instanceof DocumentConflictError) {
          // Partitions that share a hot document would otherwise redo in lockstep: back off, with jitter, after the first.
          if (++conflicts > 1) await Promise.race([sleep(backoffDelay(conflicts, retry)), this.stopped])
          await this.redo(window, undefined, ctx)
          continue
        }
        // A unique index refused a document: the event that last wrote it fails, and is parked in the end.
        const culprit = error instanceof DuplicateDocumentError ? batch.lastPositionOf(error.collection, error.id) : undefined
        if (culprit !== undefined) {
          await this.redo(window, { position: culprit, error }, ctx)
          continue
        }
        ;(this.opts.onError ?? defaultOnError)(error)
        storeAttempt++
        await Promise.race([sleep(backoffDelay(storeAttempt, retry)), this.stopped])
        if (this.stopRequested && storeAttempt > 3) throw error
        // Without transactions part of the commit may be stored: redo from fresh reads, which the stored positions guard.
        if (!documents.capabilities.transactions) await this.redo(window, undefined, ctx)
      }
    }
  }

  /** Stores a checkpoint with no writes (the events up to it were not this projection's). */
  private async advanceIdle(ctx: BatchContext, position: bigint): Promise<void> {
    const { documents, fence } = this.opts
    const checkpoint = { name: ctx.name, position }
    await this.assertStillActive(ctx)
    try {
      if (fence) await fence.commit((renewal) => documents.commit({ writes: [], checkpoint, fence: renewal }))
      else await documents.commit({ writes: [], checkpoint })
    } catch (error) {
      if (error instanceof LeaseLostError) throw error
      // Nothing depends on it: the next idle moment tries again.
      ;(this.opts.onError ?? defaultOnError)(error)
      return
    }
    this.progress = { ...this.progress, checkpoint: position }
    this.opts.onProgress?.(this.progress)
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
