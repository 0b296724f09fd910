import type { EventStore, RecordedEvent } from '@eventfold/core'
import { logger } from '@eventfold/core/spi'
import type { DocumentStore, Partition } from '@eventfold/projections'
import { LogSource, WorkerEngine, type BatchPolicy, type EngineCounters, type LeaseFence } from '@eventfold/projections/engine'
import { partitionKey } from '@eventfold/projections/spi'
import type { Publications } from '../publishing/publications'
import type { Transport } from '../transport/transport'
import { relayPartitionName } from './relay-names'
import { RelaySink } from './relay-sink'

/** Progress of one relay partition, reported after each checkpoint it stores. */
export interface RelayProgress extends EngineCounters {
  readonly relay: string
  /** `<index>/<count>`. */
  readonly partition: string
  /** Last position whose events are published; `undefined` before the first. */
  readonly checkpoint: bigint | undefined
  /** Messages published (a batch published again after a failed checkpoint counts again). */
  readonly published: number
}

/** Options of {@link RelayWorker}. */
export interface RelayWorkerOptions extends BatchPolicy {
  /** The relay's name: its checkpoints and leases are stored under it. */
  readonly name: string
  readonly eventStore: EventStore
  /** The producer's own document store: checkpoints, leases and parked events. */
  readonly documents: DocumentStore
  readonly transport: Transport
  readonly publications: Publications
  /** @default the whole log in one partition */
  readonly partition?: Partition
  /** Stop once caught up with the head. @default false */
  readonly stopAtHead?: boolean
  readonly onProgress?: (progress: RelayProgress) => void
  /** Every commit renews this lease, so a relay that lost its partition cannot store its checkpoint. */
  readonly fence: LeaseFence
}

/**
 * Publishes one partition (by hash of stream id) of the log: reads the
 * chosen event types from its checkpoint, publishes each batch keyed by
 * stream id, then stores the checkpoint. A source (the log) and a sink
 * (the transport and the checkpoint) on the worker engine. {@link Relay}
 * runs one per partition it holds the lease of, after declaring the topics.
 */
export class RelayWorker {
  private readonly engine: WorkerEngine<RecordedEvent>
  private readonly partition: Partition
  private checkpoint: bigint | undefined
  private published = 0

  constructor(private readonly options: RelayWorkerOptions) {
    this.partition = options.partition ?? { index: 0, count: 1 }
    const { batchSize, maxBatchWaitMs, maxBatchMs, maxAttempts, retry, onError } = options
    this.engine = new WorkerEngine<RecordedEvent>({
      keyOf: (e) => e.position,
      occurredAt: (e) => {
        const at = Date.parse(e.metadata.occurredAt)
        return Number.isNaN(at) ? undefined : at
      },
      batchSize,
      maxBatchWaitMs,
      maxBatchMs,
      maxAttempts,
      retry,
      onError: onError ?? defaultOnError,
      labels: { kind: 'relay', name: options.name, partition: partitionKey(this.partition) },
      traceOf: (e) => e.metadata,
    })
  }

  /** Counters so far. */
  get status(): RelayProgress {
    return {
      relay: this.options.name,
      partition: partitionKey(this.partition),
      checkpoint: this.checkpoint,
      published: this.published,
      ...this.engine.counters,
    }
  }

  /** Asks the worker to stop once its open batch is published and checkpointed. */
  stop(): void {
    this.engine.stop()
  }

  /**
   * Runs until {@link stop} (or until caught up with `stopAtHead`).
   * @throws {@link LeaseLostError} when another process took the partition over.
   */
  async run(): Promise<RelayProgress> {
    const { name, eventStore, documents, transport, publications, fence } = this.options
    const checkpointName = relayPartitionName(name, this.partition)
    this.checkpoint = await documents.readCheckpoint(checkpointName)
    const source = new LogSource({
      eventStore,
      eventTypes: publications.eventTypes,
      after: this.checkpoint,
      stopAtHead: this.options.stopAtHead ?? false,
      onCaughtUp: () => this.engine.wake(),
    })
    const sink = new RelaySink(
      {
        relay: name,
        partition: this.partition,
        partitionKey: partitionKey(this.partition),
        publications,
        transport,
        documents,
        checkpoint: checkpointName,
        fence,
        scanned: () => source.scanned,
        onCheckpoint: (position, published) => {
          this.checkpoint = position
          this.published += published
          this.options.onProgress?.(this.status)
        },
        onError: this.options.onError ?? defaultOnError,
      },
      this.checkpoint,
    )
    try {
      await this.engine.run(source, sink)
    } finally {
      await source.close()
    }
    return this.status
  }
}

const defaultOnError = (error: unknown): void => {
  logger().warn({ err: error }, 'relay: error, retrying')
}
