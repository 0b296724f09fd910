import { EventfoldError, type EventRegistry, type EventStore, type RecordedEvent } from '@eventfold/core'
import { defaultEventRegistry, logger } from '@eventfold/core/spi'
import type { DocumentBatch } from '../documents/document-batch'
import type { DocumentStore } from '../documents/document-store'
import type { ProjectionDefinition } from '../projection/projection-definition'
import { activateGeneration, dropIfUnused } from '../generations/generations'
import { checkpointName, ProjectionStates } from '../generations/projection-state'
import { WorkerEngine, type BatchPolicy, type EngineCounters } from './engine'
import { occurredAt, policyOf } from './worker-options'
import { generationCollections, generationIndexes } from '../generations/generation-collections'
import type { LeaseFence } from './leases'
import { LogSource } from './log-source'
import { assertPartition, partitionKey, SINGLE_PARTITION, type Partition } from '../projection/partition'
import { ProjectionSink } from './projection-sink'

/**
 * Progress of one worker, reported after each committed batch: the engine's
 * counters (`eventsRead` counts every partition's events, as they all
 * advance the checkpoint; `eventsApplied` this partition's).
 */
export interface WorkerProgress extends EngineCounters {
  readonly projection: string
  readonly partition: string
  readonly generation: number
  /** Last position committed. */
  readonly checkpoint: bigint | undefined
}

/** Options of {@link ProjectionWorker}: its source and sink, and the engine's {@link BatchPolicy}. */
export interface ProjectionWorkerOptions extends BatchPolicy {
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
  /** Stop once the subscription has caught up with the head (catch-up and rebuild mode). @default false */
  readonly stopAtHead?: boolean
  readonly onProgress?: (progress: WorkerProgress) => void
  /**
   * Documents kept in memory from one batch to the next, so that a document
   * is read from the store once, not once per batch. A kept document that
   * someone else changed makes the commit fail on its revision, and the batch
   * is redone from fresh reads; over the limit, the worker forgets them all.
   * @default 0 (rebuilds keep 100,000)
   */
  readonly keepDocuments?: number
}

/**
 * The options {@link ProjectionHost} gives its workers: only the host holds a
 * lease to fence commits with, so the fence is not a public option.
 */
export interface HostedWorkerOptions extends ProjectionWorkerOptions {
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

/** Events read from the subscription at a time; a batch is one or more of these reads. */
const READ_CHUNK = 1000

/** Thrown inside a run when the generation it serves is no longer the active one. */
class GenerationSwitched {
  constructor(readonly active: number) {}
}

/**
 * Follows the log for one partition of one projection: reads from its
 * checkpoint in batches, applies the handlers, and commits the coalesced
 * writes together with the new checkpoint. A source (the log from the
 * checkpoint) and a sink (documents and checkpoint) on the {@link WorkerEngine}.
 *
 * Guarantees: an event is applied once (atomic commit where the store has
 * transactions; per-document positions otherwise), in log order within the
 * partition; a handler that keeps failing, or whose writes the store keeps
 * refusing, parks its event and the worker moves on; `stop()` lets the
 * in-flight batch finish.
 */
export class ProjectionWorker {
  private readonly opts: Required<Pick<ProjectionWorkerOptions, 'stopAtHead'>> & HostedWorkerOptions
  private readonly partition: Partition
  private readonly key: string
  private readonly registry: EventRegistry
  private readonly engine: WorkerEngine<RecordedEvent>
  private position: Pick<WorkerProgress, 'generation' | 'checkpoint'>
  /** The batch of the last commit, holding the documents kept for the next one. */
  private kept: DocumentBatch | undefined

  /** `options` may be {@link HostedWorkerOptions}: a host's workers are fenced by its lease. */
  constructor(options: ProjectionWorkerOptions) {
    this.opts = { stopAtHead: false, ...options }
    this.partition = options.partition ?? SINGLE_PARTITION
    assertPartition(this.partition)
    this.key = partitionKey(this.partition)
    this.registry = options.registry ?? defaultEventRegistry
    const batchSize = options.batchSize ?? 1000
    this.engine = new WorkerEngine<RecordedEvent>({
      keyOf: (e) => e.position,
      occurredAt,
      ...policyOf(options),
      batchSize,
      readChunk: Math.min(READ_CHUNK, batchSize),
      onError: options.onError ?? defaultOnError,
      labels: { kind: 'projection', name: options.projection.name, partition: this.key },
      traceOf: (e) => e.metadata,
    })
    this.position = { generation: options.generation ?? 0, checkpoint: undefined }
  }

  /** Counters so far. */
  get status(): WorkerProgress {
    return { projection: this.opts.projection.name, partition: this.key, ...this.position, ...this.engine.counters }
  }

  /** Asks the worker to stop after the in-flight batch. */
  async stop(): Promise<void> {
    this.engine.stop()
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
      const generation = this.opts.generation ?? (await this.activeGeneration())
      const switched = await this.follow(generation, this.opts.generation === undefined ? states : undefined)
      if (!switched) return this.status
      // A rebuild switched readers to another generation, or a reset started
      // one: serve that one from its checkpoint. The generation left behind
      // is dropped by whoever retired it, but a commit of this worker may have
      // landed after that drop: drop it again unless it came back into use.
      this.kept = undefined
      await dropIfUnused(documents, projection, generation, this.partition.count)
    }
  }

  /**
   * Follows the log into `generation` until stopped (false), or until
   * `states` (given for a worker serving the active generation) says another
   * generation is active (true): the open batch is then dropped, not committed.
   */
  private async follow(generation: number, states: ProjectionStates | undefined): Promise<boolean> {
    const { documents, projection, eventStore, fence } = this.opts
    this.position = { ...this.position, generation }
    await documents.ensureIndexes(generationIndexes(projection, generation))
    const name = checkpointName(projection.name, generation, this.key)
    const checkpoint = await documents.readCheckpoint(name)
    this.position = { generation, checkpoint }
    const source = new LogSource({
      eventStore,
      eventTypes: projection.eventTypes,
      after: checkpoint,
      stopAtHead: this.opts.stopAtHead,
      onCaughtUp: () => this.engine.wake(),
    })
    const sink = new ProjectionSink(
      {
        documents,
        projection,
        partition: this.partition,
        key: this.key,
        generation,
        resolve: generationCollections(projection, generation),
        registry: this.registry,
        checkpoint: name,
        fence,
        keepDocuments: this.opts.keepDocuments ?? 0,
        kept: this.kept,
        onCheckpoint: (position) => {
          this.position = { ...this.position, checkpoint: position }
          this.opts.onProgress?.(this.status)
        },
        onError: this.opts.onError ?? defaultOnError,
        scanned: () => source.scanned,
      },
      checkpoint,
    )
    const check = states && { states, projection: projection.name, generation, switched: (active: number) => new GenerationSwitched(active) }
    try {
      await this.engine.run(source, sink, check)
    } catch (error) {
      if (error instanceof GenerationSwitched) return true
      throw error
    } finally {
      this.kept = sink.kept
      await source.close()
    }
    return false
  }

  private async activeGeneration(): Promise<number> {
    const { documents, projection } = this.opts
    const state = await activateGeneration(documents, projection, this.partition.count)
    if (state.generation === 0) throw new RebuildInProgressError(projection.name, state.rebuilding?.generation ?? 1)
    if (state.partitions !== this.partition.count) {
      throw new PartitionCountMismatchError(projection.name, state.partitions, this.partition.count)
    }
    return state.generation
  }
}

const defaultOnError = (error: unknown): void => {
  logger().warn({ err: error }, 'projection worker: store error, retrying')
}
