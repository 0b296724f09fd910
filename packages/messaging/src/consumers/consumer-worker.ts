import type { AggregateClass, AggregateDefinition, EventRegistry } from '@eventfold/core'
import { watchConsumerLag } from '../telemetry'
import { logger } from '@eventfold/core/spi'
import { WorkerEngine, type BatchPolicy, type EngineCounters } from '@eventfold/projections/engine'
import { ParkedMessageNotFoundError, ParkedRetryFailedError } from '../errors'
import { INBOX_COLLECTION, PARKED_COLLECTION, deliveryOfParked, parkedFromDocument, recordId } from '../inbox/inbox-records'
import type { InboxStore } from '../inbox/inbox-store'
import type { PartitionLag, StartFrom, Transport } from '../transport/transport'
import type { ConsumerDefinition, Fetcher } from './consumer-definition'
import { ConsumerSink, type ConsumerItem, type ConsumerSinkOptions, type ParkedRetry } from './consumer-sink'
import { DeliverySource } from './delivery-source'

/** Options of {@link ConsumerWorker}. */
export interface ConsumerWorkerOptions extends Omit<BatchPolicy, 'maxBatchMs'> {
  /** The aggregates `context.commands` routes to (the consumer service's own). @default none */
  readonly aggregates?: readonly (AggregateClass | AggregateDefinition)[]
  /** @default the global registry filled by `@Event` */
  readonly registry?: EventRegistry
  /** Loaders of zero-payload events' current data, by integration event type. @default none */
  readonly fetchers?: Readonly<Record<string, Fetcher>>
  /** Where a new consumer group starts. @default 'earliest' */
  readonly from?: StartFrom
  /** Called after each committed batch. */
  readonly onProgress?: (progress: ConsumerProgress) => void
}

/** Counters of a {@link ConsumerWorker}: the engine's, `eventsRead` counting deliveries (a redelivered message counts again). */
export interface ConsumerProgress extends EngineCounters {
  /** The consumer, and its consumer group. */
  readonly consumer: string
}

/** What {@link ConsumerWorker.retryParked} did. */
export interface ParkedRetryResult {
  readonly consumer: string
  readonly id: string
  /** Appends and document writes committed with the message. */
  readonly writes: number
}

/**
 * Runs a consumer in its consumer group: a source (the transport's
 * subscription) and a sink (the inbox) on the worker engine. Per partition,
 * messages are handled in order; a message's effects commit with its id in
 * the inbox, so a message delivered again changes nothing; a handler that
 * keeps failing has its message parked after `maxAttempts` (in the
 * consumer's store with the error, in the commit that moves past it, and on
 * the transport's dead-letter destination) while the rest flow.
 *
 * Exactly once, per store: SQLite and PostgreSQL (appends and documents),
 * MongoDB with transactions (documents). MongoDB without transactions
 * (standalone, FerretDB): documents only, one message per commit, each
 * document skipping what its partition already applied by offset, so exactly
 * once on transports whose redeliveries keep their offset (Kafka, in-memory).
 * @example
 * ```ts
 * const worker = new ConsumerWorker(billing, transport, sqliteInbox(connection), { aggregates: [Invoice] })
 * const running = worker.run()
 * // …
 * worker.stop()
 * await running
 * ```
 */
export class ConsumerWorker {
  private engine: WorkerEngine<ConsumerItem>
  private readonly sinkOptions: ConsumerSinkOptions
  private stopping = false

  /** @throws {RangeError} for a batch size or attempt count below 1. */
  constructor(
    readonly consumer: ConsumerDefinition,
    readonly transport: Transport,
    readonly inbox: InboxStore,
    private readonly options: ConsumerWorkerOptions = {},
  ) {
    this.sinkOptions = {
      consumer,
      inbox,
      aggregates: options.aggregates ?? [],
      registry: options.registry,
      fetchers: new Map(Object.entries(options.fetchers ?? {})),
    }
    this.engine = this.newEngine(inbox.documents.capabilities.transactions)
  }

  /** Counters so far, of the current (or last) run. */
  get status(): ConsumerProgress {
    return { consumer: this.consumer.name, ...this.engine.counters }
  }

  /** The consumer group's lag on each partition of its topics, from the transport. */
  lag(): Promise<readonly PartitionLag[]> {
    return this.transport.lag(this.consumer.name, this.consumer.topics)
  }

  /** Makes `run()` return after the open batch is committed and acknowledged. */
  stop(): void {
    this.stopping = true
    this.engine.stop()
  }

  /**
   * Joins the consumer group and handles what it delivers until `stop()`,
   * or until the subscription ends. Resolves with the final counters.
   */
  async run(): Promise<ConsumerProgress> {
    const { name, topics } = this.consumer
    // Some stores (MongoDB) learn whether they have transactions on first use: the batch size depends on it.
    await this.inbox.documents.count(INBOX_COLLECTION)
    this.engine = this.newEngine(this.inbox.documents.capabilities.transactions)
    if (this.stopping) return this.status
    const subscription = await this.transport.subscribe({ group: name, topics, from: this.options.from ?? 'earliest' })
    const unwatch = watchConsumerLag(this, name, () => this.lag())
    try {
      await this.engine.run(new DeliverySource(subscription), new ConsumerSink(this.sinkOptions, subscription))
    } finally {
      unwatch()
      await subscription.close()
    }
    return this.status
  }

  private newEngine(atomic: boolean): WorkerEngine<ConsumerItem> {
    const { options } = this
    return new WorkerEngine<ConsumerItem>({
      keyOf: (i) => i.seq,
      occurredAt: (i) => occurredAt(i.delivery.headers['ef-occurred-at']),
      ...options,
      // Without transactions a document is idempotent per partition by offset: a batch holds one message.
      batchSize: atomic ? (options.batchSize ?? 100) : 1,
      onError: options.onError ?? defaultOnError,
      onCommit: () => options.onProgress?.(this.status),
      labels: { kind: 'consumer', name: this.consumer.name },
      traceOf: ({ delivery: { headers } }) => ({ traceparent: headers.traceparent, correlationId: headers['ef-correlation-id'] }),
    })
  }

  /**
   * Applies a parked message once: its effects commit with its removal from
   * the parked messages, so a second retry finds nothing to do, also when
   * retries (or a retry and a discard) race.
   * @throws {@link ParkedMessageNotFoundError} when the message is not parked (never was, retried or discarded, also meanwhile).
   * @throws {@link ParkedRetryFailedError} when its handler fails again (it stays parked, with the new error).
   */
  async retryParked(id: string): Promise<ParkedRetryResult> {
    const { name } = this.consumer
    const stored = (await this.inbox.documents.getMany(PARKED_COLLECTION, [recordId(name, id)])).get(recordId(name, id))
    if (!stored) throw new ParkedMessageNotFoundError(name, id)
    const delivery = deliveryOfParked(parkedFromDocument(stored.doc))
    const engine = new WorkerEngine<ConsumerItem>({ ...this.options, keyOf: (i) => i.seq, batchSize: 1, onError: this.options.onError ?? defaultOnError })
    let delivered = false
    const source = {
      get finished() {
        return delivered
      },
      async read(): Promise<readonly ConsumerItem[]> {
        if (delivered) return []
        delivered = true
        return [{ delivery, seq: 0n }]
      },
    }
    const retry: ParkedRetry = { recordId: recordId(name, id), gone: false }
    await engine.run(source, new ConsumerSink(this.sinkOptions, undefined, retry))
    // A concurrent retry or a discard removed it first: this one applied nothing.
    if (retry.gone) throw new ParkedMessageNotFoundError(name, id)
    const counts = engine.counters
    if (counts.parked > 0) {
      const again = (await this.inbox.documents.get(PARKED_COLLECTION, recordId(name, id))) ?? stored.doc
      throw new ParkedRetryFailedError(name, id, { cause: new Error(parkedFromDocument(again).error.message) })
    }
    return { consumer: name, id, writes: counts.writes }
  }
}

const occurredAt = (iso: string | undefined): number | undefined => {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso)
  return Number.isNaN(ms) ? undefined : ms
}

const defaultOnError = (error: unknown): void => {
  logger().warn({ err: error }, 'consumer: error, retrying')
}
