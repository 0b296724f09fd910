import { EventfoldError, type EventRegistry } from '@eventfold/core'
import { defaultEventRegistry, logger } from '@eventfold/core/spi'
import type { DeadLetter } from '../dead-letters/dead-letters'
import type { DocumentStore } from '../documents/document-store'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { activateGeneration } from '../generations/generations'
import { ProjectionStates } from '../generations/projection-state'
import type { CompetingConsumerSource, CompetingDelivery } from './competing-consumer-source'
import { CompetingSink } from './competing-sink'
import { IterableSource, WorkerEngine, type EngineCounters } from './engine'
import { generationCollections, generationIndexes } from '../generations/generation-collections'
import { RebuildInProgressError, type ProjectionWorkerOptions } from './projection-worker'
import { occurredAt, policyOf } from './worker-options'
import { streamMarkerCollection } from '../generations/projection-state'

/** Progress of a {@link CompetingConsumerWorker}, reported after each committed batch. */
/**
 * The engine's counters: `eventsRead` counts deliveries (an event delivered
 * again counts again); those neither applied nor parked were acknowledged
 * without applying (already applied, or of a type the projection does not
 * handle); `writes` counts document and marker writes.
 */
export interface CompetingWorkerProgress extends EngineCounters {
  readonly projection: string
  /** The consumer group ({@link CompetingConsumerSource.name}). */
  readonly group: string
  readonly generation: number
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

/**
 * Applies a projection from a consumer group shared by several workers
 * (processes): the scale-out mode of a {@link CompetingConsumerSource} such as
 * an EventStoreDB persistent subscription. A source (the group's deliveries)
 * and a sink (documents and stream markers, then acks) on the {@link WorkerEngine}.
 *
 * Events of one document may come from streams held by different workers, so
 * the per-partition positions of {@link ProjectionWorker} cannot tell what is
 * applied. The group keeps each stream in order on one worker, so this worker
 * keeps, per stream, the last revision the projection generation applied (a
 * stream marker, in a collection of the generation) and commits the markers
 * in the same transaction as the documents: an event is applied iff its
 * revision is above its stream's marker. Deliveries are acknowledged after
 * the commit, so an event delivered again (a worker died before acking) is
 * skipped. A handler that keeps failing, or whose writes the store keeps
 * refusing, has its event parked through the group, recorded in the marker
 * as parked, so that a replay of it applies.
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
  private readonly opts: CompetingConsumerWorkerOptions
  private readonly registry: EventRegistry
  private readonly engine: WorkerEngine<CompetingDelivery>
  private generation: number

  /** @throws {RangeError} for a batch size or attempt count below 1. */
  constructor(
    readonly source: CompetingConsumerSource,
    options: CompetingConsumerWorkerOptions,
  ) {
    this.opts = options
    this.registry = options.registry ?? defaultEventRegistry
    this.generation = options.generation ?? 0
    this.engine = new WorkerEngine<CompetingDelivery>({
      keyOf: (d) => d.event.position,
      occurredAt: (d) => occurredAt(d.event),
      ...policyOf(options),
      batchSize: options.batchSize ?? 100,
      onError: options.onError ?? defaultOnError,
      onCommit: () => this.opts.onProgress?.(this.status),
      labels: { kind: 'projection', name: options.projection.name, partition: source.name },
      traceOf: (d) => d.event.metadata,
    })
  }

  /** Counters so far. */
  get status(): CompetingWorkerProgress {
    return { projection: this.opts.projection.name, group: this.source.name, generation: this.generation, ...this.engine.counters }
  }

  /** Asks the worker to leave the group after the in-flight batch is committed and acknowledged. */
  async stop(): Promise<void> {
    this.engine.stop()
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
    this.generation = generation
    await documents.ensureIndexes(generationIndexes(projection, generation))
    // Checked after the store was used: some (MongoDB) learn whether they have transactions on first use.
    if (!documents.capabilities.transactions) throw new TransactionsRequiredError(projection.name, documents.constructor?.name || 'a document store')
    const sink = new CompetingSink({
      documents,
      projection,
      registry: this.registry,
      handled: new Set(projection.eventTypes),
      resolve: generationCollections(projection, generation),
      markerCollection: streamMarkerCollection(projection.name, generation),
      group: this.source.name,
    })
    const check =
      this.opts.generation === undefined
        ? { states: new ProjectionStates(documents), projection: projection.name, generation, switched: (active: number) => new GenerationSwitchedError(projection.name, generation, active) }
        : undefined
    const subscription = this.source.subscribe()
    try {
      await this.engine.run(new IterableSource(subscription), sink, check)
    } finally {
      await subscription.close()
    }
    return this.status
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
  logger().warn({ err: error }, 'competing consumer worker: store error, retrying')
}
