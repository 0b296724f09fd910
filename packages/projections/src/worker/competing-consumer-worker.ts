import {
  backoffDelay,
  defaultEventRegistry,
  EventfoldError,
  sleep,
  type EventRegistry,
  type RecordedEvent,
} from '@eventfold/core'
import type { DeadLetter } from '../dead-letters/dead-letters'
import { DocumentBatch, DocumentOperationError } from '../documents/document-batch'
import type { DocumentStore, DocumentWrite } from '../documents/document-store'
import { DocumentConflictError } from '../errors/errors'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { activateGeneration } from '../generations/generations'
import { ProjectionStates } from '../generations/projection-state'
import { BatchReader } from './batch-reader'
import type { CompetingConsumerSource, CompetingDelivery } from './competing-consumer-source'
import { generationCollections, generationIndexes, generationSwitchedFrom } from '../generations/generation-collections'
import { RebuildInProgressError, type ProjectionWorkerOptions } from './projection-worker'
import { StreamMarkers, streamMarkerCollection } from './stream-markers'

/** Progress of a {@link CompetingConsumerWorker}, reported after each committed batch. */
export interface CompetingWorkerProgress {
  readonly projection: string
  /** The consumer group ({@link CompetingConsumerSource.name}). */
  readonly group: string
  readonly generation: number
  /** Deliveries received; an event delivered again counts again. */
  readonly received: number
  /** Events applied to the read model. */
  readonly applied: number
  /** Deliveries acknowledged without applying: already applied (delivered again), or of a type the projection does not handle. */
  readonly skipped: number
  /** Events parked after their last attempt. */
  readonly parked: number
  /** Document and marker writes sent to the store. */
  readonly writes: number
  readonly batches: number
  /** Attempts at a batch that found a document or marker changed by another consumer, and started over from fresh reads. */
  readonly conflicts: number
}

/**
 * Options of {@link CompetingConsumerWorker}: those of a {@link ProjectionWorker}
 * that apply here (`maxAttempts` counts attempts before the event is parked
 * through the group), and a smaller batch.
 */
export interface CompetingConsumerWorkerOptions
  extends Pick<ProjectionWorkerOptions, 'documents' | 'projection' | 'generation' | 'registry' | 'maxBatchWaitMs' | 'maxAttempts' | 'retry' | 'onError'> {
  /** Maximum deliveries per batch: at most what the group lets a consumer hold unacknowledged. @default 100 */
  readonly batchSize?: number
  readonly onProgress?: (progress: CompetingWorkerProgress) => void
}

/**
 * A projection cannot run as a competing consumer on a store without
 * transactions: its stream markers would not commit atomically with its writes.
 */
export class TransactionsRequiredError extends EventfoldError {
  readonly type = 'transactions-required' as const
  constructor(
    readonly projection: string,
    /** The store's class name. */
    readonly store: string,
  ) {
    super(
      `Projection '${projection}' cannot run as a competing consumer on ${store}: ` +
        'its per-stream markers must commit in one transaction with its documents, and this store has no transactions',
    )
  }
}
export const isTransactionsRequiredError = (e: unknown): e is TransactionsRequiredError => e instanceof TransactionsRequiredError

/**
 * The generation a competing-consumer worker writes to is no longer the
 * projection's active one: a rebuild switched readers to another, or a reset
 * started one. The worker stops rather than write into a retired generation.
 */
export class GenerationSwitchedError extends EventfoldError {
  readonly type = 'generation-switched' as const
  constructor(
    readonly projection: string,
    /** The generation the worker wrote to. */
    readonly generation: number,
    /** The active generation now. */
    readonly active: number,
  ) {
    super(
      `Projection '${projection}' now serves generation ${active}, not generation ${generation} that this competing consumer writes to ` +
        '(a rebuild switched, or a reset). A rebuilt generation has no stream markers, so competing consumers cannot take it over ' +
        'where the rebuild stopped: the group would deliver again events the rebuild applied',
    )
  }
}
export const isGenerationSwitchedError = (e: unknown): e is GenerationSwitchedError => e instanceof GenerationSwitchedError

interface Parked {
  readonly delivery: CompetingDelivery
  readonly error: unknown
  readonly attempts: number
}

/**
 * Applies a projection from a consumer group shared by several workers
 * (processes): the scale-out mode of a {@link CompetingConsumerSource} such as
 * an EventStoreDB persistent subscription.
 *
 * Events of one document may come from streams held by different workers, so
 * the per-partition positions of {@link ProjectionWorker} cannot tell what is
 * applied. The group keeps each stream in order on one worker, so this worker
 * keeps, per stream, the last revision the projection generation applied (a
 * stream marker, in a collection of the generation) and commits the markers
 * in the same transaction as the documents: an event is applied iff its
 * revision is above its stream's marker. Deliveries are acknowledged after
 * the commit, so an event delivered again (a worker died before acking) is
 * skipped. A handler that keeps failing has its event parked through the
 * group, recorded in the marker as parked, so that a replay of it applies.
 *
 * Needs a store with transactions: `run()` refuses any other.
 * @example
 * ```ts
 * const worker = new CompetingConsumerWorker(source, { documents, projection: projectionFromInstance(balances) })
 * const running = worker.run()
 * // …
 * await worker.stop()
 * await running
 * ```
 */
export class CompetingConsumerWorker {
  private readonly opts: Required<Pick<CompetingConsumerWorkerOptions, 'batchSize' | 'maxBatchWaitMs' | 'maxAttempts' | 'retry'>> &
    CompetingConsumerWorkerOptions
  private readonly registry: EventRegistry
  private readonly stopping = new AbortController()
  /** Resolves on `stop()`: a batch that is filling up closes at once. */
  private readonly stopped = new Promise<void>((resolve) => this.stopping.signal.addEventListener('abort', () => resolve(), { once: true }))
  private progress: CompetingWorkerProgress

  /** @throws {RangeError} for a batch size or attempt count below 1. */
  constructor(
    readonly source: CompetingConsumerSource,
    options: CompetingConsumerWorkerOptions,
  ) {
    const { projection } = options
    this.opts = { batchSize: 100, maxBatchWaitMs: 25, maxAttempts: 3, retry: { initialDelayMs: 50, maxDelayMs: 5000 }, ...options }
    for (const key of ['batchSize', 'maxAttempts'] as const) {
      const n = this.opts[key]
      if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${key} must be a positive integer, got ${n}`)
    }
    this.registry = options.registry ?? defaultEventRegistry
    const counters = { received: 0, applied: 0, skipped: 0, parked: 0, writes: 0, batches: 0, conflicts: 0 }
    this.progress = { projection: projection.name, group: source.name, generation: options.generation ?? 0, ...counters }
  }

  /** Counters so far. */
  get status(): CompetingWorkerProgress {
    return this.progress
  }

  /** Asks the worker to leave the group after the in-flight batch is committed and acknowledged. */
  async stop(): Promise<void> {
    this.stopping.abort()
  }

  /** The events the group parked for this projection (the source's dead letters). */
  deadLetters(): AsyncIterable<DeadLetter> {
    return this.source.deadLetters()
  }

  /**
   * Joins the group and applies what it delivers until `stop()`, or until the
   * group ends the subscription. Resolves with the final progress.
   * @throws {@link TransactionsRequiredError} when the document store has no transactions.
   * @throws {@link RebuildInProgressError} when the projection's first rebuild is still running.
   * @throws {@link GenerationSwitchedError} when a rebuild or reset made another generation active (without a `generation` option).
   * @throws whatever the source throws when the group drops this consumer.
   */
  async run(): Promise<CompetingWorkerProgress> {
    const { documents, projection } = this.opts
    const generation = this.opts.generation ?? (await activeGeneration(documents, projection))
    this.progress = { ...this.progress, generation }
    await documents.ensureIndexes(generationIndexes(projection, generation))
    // Checked after the store was used: some (MongoDB) learn whether they have transactions on first use.
    if (!documents.capabilities.transactions) throw new TransactionsRequiredError(projection.name, documents.constructor?.name || 'a document store')
    const subscription = this.source.subscribe()
    const batches = new BatchReader(subscription[Symbol.asyncIterator]())
    try {
      while (!this.stopping.signal.aborted) {
        const deliveries = await batches.read(this.opts.batchSize, this.opts.maxBatchWaitMs, this.stopped)
        if (deliveries.length === 0) break
        await this.processBatch(deliveries, generation)
        // As in ProjectionWorker: with a synchronous store, let timers and I/O run between batches.
        await yieldToEventLoop()
      }
    } finally {
      await subscription.close()
    }
    return this.progress
  }

  /** @throws {@link GenerationSwitchedError} when another generation than `generation` is active. */
  private async assertStillActive(generation: number): Promise<void> {
    const { documents, projection } = this.opts
    const active = await generationSwitchedFrom(new ProjectionStates(documents), projection.name, generation)
    if (active !== undefined) throw new GenerationSwitchedError(projection.name, generation, active)
  }

  /** Applies one batch until it commits, then acknowledges (or parks) every delivery of it. */
  private async processBatch(deliveries: readonly CompetingDelivery[], generation: number): Promise<void> {
    const { documents, projection, maxAttempts, retry } = this.opts
    const handled = new Set(projection.eventTypes)
    const relevant = deliveries.filter((d) => handled.has(d.event.type))
    const resolve = generationCollections(projection, generation)
    const markerCollection = streamMarkerCollection(projection.name, generation)
    const failures = new Map<bigint, number>()
    // By position: an event delivered twice in one batch is parked once.
    const parked = new Map<bigint, Parked>()
    let conflicts = 0
    for (let storeAttempt = 1; ; ) {
      const markers = await StreamMarkers.load(documents, markerCollection, relevant.map((d) => d.event.streamId))
      const batch = new DocumentBatch(documents, resolve, `competing:${this.source.name}`, projection.collections[0]!, { trackPositions: false })
      let applied = 0
      // Parked in this attempt: one that another consumer applied meanwhile (seen after a conflict) is acknowledged instead.
      const parking = new Set<bigint>()
      let failed: { event: RecordedEvent; delivery: CompetingDelivery; error: unknown } | undefined
      for (const delivery of relevant) {
        const { event } = delivery
        if (!markers.isPending(event)) continue
        if (parked.has(event.position)) {
          markers.parked(event)
          parking.add(event.position)
          continue
        }
        try {
          batch.setPosition(event.position)
          await projection.handle(this.registry.upcast(event), batch.documents())
        } catch (error) {
          failed = { event, delivery, error }
          break
        }
        markers.applied(event)
        applied++
      }
      let writes: DocumentWrite[] = []
      if (!failed) {
        try {
          writes = await batch.collectWrites()
        } catch (error) {
          if (!(error instanceof DocumentOperationError)) throw error
          const delivery = relevant.find((d) => d.event.position === error.position)!
          failed = { event: delivery.event, delivery, error: error.cause ?? error }
        }
      }
      if (failed) {
        // The batch holds the failed event's partial operations: start it over without them.
        const n = (failures.get(failed.event.position) ?? 0) + 1
        failures.set(failed.event.position, n)
        if (n >= maxAttempts) parked.set(failed.event.position, { delivery: failed.delivery, error: failed.error, attempts: n })
        else await sleep(backoffDelay(n + 1, retry))
        continue
      }
      writes.push(...markers.writes())
      if (this.opts.generation === undefined) await this.assertStillActive(generation)
      let written = 0
      try {
        if (writes.length > 0) written = (await documents.commit({ writes })).writes
      } catch (error) {
        // Another consumer wrote a shared document, or still held one of these streams: recompute from fresh reads.
        if (error instanceof DocumentConflictError) {
          conflicts++
          continue
        }
        ;(this.opts.onError ?? defaultOnError)(error)
        storeAttempt++
        await Promise.race([sleep(backoffDelay(storeAttempt, retry)), this.stopped])
        if (this.stopping.signal.aborted && storeAttempt > 3) throw error
        continue
      }
      // Only now: a worker that dies before this has its deliveries sent again, and the markers skip what it committed.
      await Promise.all(
        deliveries.map((d) => {
          const p = parking.has(d.event.position) ? parked.get(d.event.position) : undefined
          return p?.delivery === d ? d.park(p.error, p.attempts) : d.ack()
        }),
      )
      const p = this.progress
      this.progress = {
        ...p,
        received: p.received + deliveries.length,
        applied: p.applied + applied,
        skipped: p.skipped + deliveries.length - applied - parking.size,
        parked: p.parked + parking.size,
        writes: p.writes + written,
        batches: p.batches + 1,
        conflicts: p.conflicts + conflicts,
      }
      this.opts.onProgress?.(this.progress)
      return
    }
  }
}

/** The active generation; creates the projection's state (generation 1) when it has none. */
const activeGeneration = async (documents: DocumentStore, projection: ProjectionDefinition): Promise<number> => {
  const { name } = projection
  const state = await activateGeneration(documents, projection, 1)
  if (state.generation === 0) throw new RebuildInProgressError(name, state.rebuilding?.generation ?? 1)
  return state.generation
}

const defaultOnError = (error: unknown): void => {
  process.emitWarning(`eventfold competing consumer worker: ${(error as Error)?.message ?? String(error)} (retrying)`)
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
