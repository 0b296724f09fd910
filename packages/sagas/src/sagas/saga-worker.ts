import { logger } from '@eventfold/core/spi'
import type { BackoffPolicy, EventStore, RecordedEvent } from '@eventfold/core'
import type { DocumentStore } from '@eventfold/projections'
import type { DocumentWrite } from '@eventfold/projections/spi'
import { LogSource, WorkerEngine, type BatchAttempt, type EngineCounters, type EngineSink, type OpenBatch } from '@eventfold/projections/engine'
import { observeActiveSagas } from '../telemetry'
import type { SagaBatch, Sagas } from './sagas'

/** Options of {@link SagaWorker}. */
export interface SagaWorkerOptions {
  readonly eventStore: EventStore
  /** Holds the worker's checkpoint and the events it parked (usually the store of the saga instances). */
  readonly documents: DocumentStore
  /** The worker's name: its checkpoint is `saga:<name>`. @default 'sagas' */
  readonly name?: string
  /** @default 64 */
  readonly batchSize?: number
  /** Attempts at an event before it is parked with its error. @default 3 */
  readonly maxAttempts?: number
  /** @default { initialDelayMs: 50, maxDelayMs: 5000 } */
  readonly retry?: BackoffPolicy
  /** Stop once caught up with the head of the log (a catch-up run, a benchmark). @default false */
  readonly stopAtHead?: boolean
  /** Told about each outage that will be retried. @default a process warning */
  readonly onError?: (error: unknown) => void
}

/** The collection a saga worker parks the events it could not handle in. */
export const parkedSagaEventsCollection = (name: string): string => `eventfold_saga_parked_${name}`

/**
 * Feeds the sagas from the log: follows it from a checkpoint, on the worker
 * engine the projection workers use (batches, retries with backoff, parking
 * after `maxAttempts`, graceful stop). The steps of a batch's events are
 * stored in one commit with the checkpoint, then their commands are sent; a
 * worker that starts first sends again what a stopped one left unsent
 * (the receiver dedupes by the command ids).
 * @example
 * ```ts
 * const worker = new SagaWorker(sagas, { eventStore, documents })
 * void worker.start()
 * await worker.stop()
 * ```
 */
export class SagaWorker {
  private readonly engine: WorkerEngine<RecordedEvent>
  private running: Promise<void> | undefined
  private source: LogSource | undefined

  constructor(
    private readonly sagas: Sagas,
    private readonly options: SagaWorkerOptions,
  ) {
    this.engine = new WorkerEngine<RecordedEvent>({
      keyOf: (event) => event.position,
      occurredAt: (event) => Date.parse(event.metadata.occurredAt),
      batchSize: options.batchSize ?? 64,
      maxBatchWaitMs: 0,
      ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
      ...(options.retry !== undefined && { retry: options.retry }),
      ...(options.onError !== undefined && { onError: options.onError }),
    })
  }

  /** The engine's counters: batches, events, retries, parked, lag. */
  get counters(): EngineCounters {
    return this.engine.counters
  }

  /** Starts following the log; what `stop` waits for (with `stopAtHead`, resolves once caught up). */
  start(): Promise<void> {
    this.running ??= this.run()
    return this.running
  }

  /** Stops after the batch under way is settled. */
  async stop(): Promise<void> {
    this.engine.stop()
    await this.running
  }

  private async run(): Promise<void> {
    const { eventStore, documents, name = 'sagas', stopAtHead = false } = this.options
    const checkpoint = `saga:${name}`
    await this.sagas.resendUnsent()
    this.source = new LogSource({
      eventStore,
      eventTypes: this.sagas.eventTypes,
      after: await documents.readCheckpoint(checkpoint),
      stopAtHead,
      onCaughtUp: () => this.engine.wake(),
    })
    const unwatch = observeActiveSagas(this.sagas, this)
    try {
      const { maxAttempts, retry, onError = (error: unknown) => logger().warn({ saga: name, err: error }, `saga worker '${name}'`) } = this.options
      const sink = new SagaSink(this.sagas, documents, checkpoint, parkedSagaEventsCollection(name), { ...(maxAttempts !== undefined && { attempts: maxAttempts }), ...(retry !== undefined && { retry }) }, onError)
      await this.engine.run(this.source, sink)
    } finally {
      unwatch()
      await this.source.close()
    }
  }
}

class SagaAttempt implements BatchAttempt<RecordedEvent> {
  readonly parked: DocumentWrite[] = []
  readonly batch: SagaBatch

  constructor(
    sagas: Sagas,
    private readonly collection: string,
  ) {
    this.batch = sagas.beginBatch()
  }

  accepts(): boolean {
    return true
  }

  async apply(event: RecordedEvent): Promise<void> {
    await this.batch.apply({ id: event.metadata.eventId, type: event.type, data: event.data, metadata: event.metadata })
  }

  park(event: RecordedEvent, error: unknown, attempts: number): void {
    const doc = {
      _id: event.metadata.eventId,
      position: event.position.toString(),
      streamId: event.streamId,
      eventType: event.type,
      attempts,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    }
    this.parked.push({ kind: 'put', collection: this.collection, doc, meta: { revision: 1, positions: {} }, expectedRevision: 0 })
  }

  async settle(): Promise<void> {}

  lastWriterOf(): bigint | undefined {
    return undefined
  }
}

class SagaSink implements EngineSink<RecordedEvent, SagaAttempt> {
  readonly atomic = false

  constructor(
    private readonly sagas: Sagas,
    private readonly documents: DocumentStore,
    private readonly checkpoint: string,
    private readonly parkedCollection: string,
    private readonly retry: { attempts?: number; retry?: BackoffPolicy },
    private readonly onError: (error: unknown) => void,
  ) {}

  begin(): SagaAttempt {
    return new SagaAttempt(this.sagas, this.parkedCollection)
  }

  async commit(attempt: SagaAttempt, batch: OpenBatch<RecordedEvent>): Promise<{ writes: number; parked: number }> {
    // A parked event already recorded by an earlier try at this commit is not written again.
    const ids = attempt.parked.flatMap((w) => (w.kind === 'put' ? [w.doc._id] : []))
    const existing = ids.length === 0 ? new Map() : await this.documents.getMany(this.parkedCollection, ids)
    const writes = attempt.parked.filter((w) => w.kind === 'put' && !existing.has(w.doc._id))
    const steps = attempt.batch.writes()
    await this.documents.commit({ writes: [...steps, ...writes], checkpoint: { name: this.checkpoint, position: batch.last.position } })
    return { writes: steps.length + writes.length, parked: attempt.parked.length }
  }

  /** Sends what the batch's steps asked for; a step whose sends keep failing is recorded in the parked collection (its entries stay on the outbox). */
  async committed(attempt: SagaAttempt): Promise<void> {
    await attempt.batch.committed({
      ...this.retry,
      failed: async ({ saga, sagaId, entries, error }) => {
        const doc = { _id: `unsent:${sagaId}:${entries[0]?.id ?? ''}`, saga, sagaId, unsent: entries.map((e) => e.id), error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
        await this.documents.commit({ writes: [{ kind: 'put', collection: this.parkedCollection, doc, meta: { revision: 1, positions: {} }, expectedRevision: 0 }] }).catch((e: unknown) => this.onError(e))
        this.onError(error)
      },
    })
  }
}
