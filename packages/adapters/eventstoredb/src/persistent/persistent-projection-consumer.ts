import type { EventStoreClient } from '../client/client'
import type { BackoffPolicy, RecordedEvent } from '@eventfold/core'
import { IterableSource, WorkerEngine, type EngineCounters } from '@eventfold/projections/engine'
import type { CompetingDelivery } from '@eventfold/projections/spi'
import { HandlerSink } from './handler-sink'
import { PersistentSubscriptionSource, type PersistentSubscriptionSourceOptions } from './persistent-subscription-source'

/** Options of {@link PersistentProjectionConsumer}. */
export interface PersistentProjectionConsumerOptions extends PersistentSubscriptionSourceOptions {
  /**
   * Applies one event. Delivery is at least once (a worker that dies before
   * it acks has its events sent again), so the handler must be idempotent,
   * e.g. by the event's position.
   */
  readonly handle: (event: RecordedEvent) => Promise<void> | void
  /** Attempts at one event in this worker, with backoff, before it is parked. @default 3 */
  readonly maxAttempts?: number
  /** Backoff between attempts. @default { initialDelayMs: 50, maxDelayMs: 5000 } */
  readonly retry?: BackoffPolicy
}

/** Counters of a {@link PersistentProjectionConsumer}. */
export interface PersistentConsumerStatus {
  /** Events applied and acknowledged. */
  readonly handled: number
  /** Events acknowledged without calling the handler (system events, outside the filter). */
  readonly skipped: number
  /** Failed attempts that were retried. */
  readonly retried: number
  /** Events parked after their last attempt. */
  readonly parked: number
}

/**
 * Handles the events of a persistent subscription group one at a time, for
 * a handler of its own (a projection onto a document store runs as a
 * `CompetingConsumerWorker` instead: see `persistentProjectionWorker`).
 *
 * The group is a {@link PersistentSubscriptionSource}: `Pinned`, so the events
 * of one stream reach one worker, in order. The worker engine applies its
 * policy to one event at a time: a failing event is retried, with backoff,
 * so that later events of its stream do not overtake it, and after
 * `maxAttempts` it is parked: the server writes it to the group's parked
 * stream with the error, {@link deadLetters} lists it, {@link replayParked}
 * sends it again. Buckets move when workers join or leave: order across such
 * a move holds once the previous worker has acknowledged its in-flight events.
 * @example
 * ```ts
 * const consumer = new PersistentProjectionConsumer(client, { group: 'account-balances', filter: { eventTypes: ['Deposited'] }, handle })
 * await consumer.ensure()
 * void consumer.run()
 * // …
 * await consumer.stop()
 * ```
 */
export class PersistentProjectionConsumer extends PersistentSubscriptionSource {
  private readonly maxAttempts: number
  private readonly retry: BackoffPolicy | undefined
  private readonly sink: HandlerSink
  private engine: WorkerEngine<CompetingDelivery> | undefined
  /** What earlier runs counted: an engine runs once. */
  private earlier = { handled: 0, retried: 0 }

  /** @throws {RangeError} for an empty group or an attempt count below 1. */
  constructor(client: EventStoreClient, options: PersistentProjectionConsumerOptions) {
    super(client, options)
    const { maxAttempts = 3, retry } = options
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`)
    this.maxAttempts = maxAttempts
    this.retry = retry
    this.sink = new HandlerSink(options.handle)
  }

  /** Counters so far. */
  get status(): PersistentConsumerStatus {
    return { ...this.counted(this.engine?.counters), ...this.counts }
  }

  /**
   * Joins the group and handles events until {@link stop}. Resolves when
   * stopped.
   * @throws {@link SubscriptionDroppedError} when the server or the connection ends the subscription; join again to go on.
   */
  async run(): Promise<void> {
    if (this.engine) throw new Error(`The consumer of group '${this.options.group}' is already running`)
    // One event per batch: the handler's effect cannot be redone, so a batch never holds an event already handled.
    const engine = new WorkerEngine<CompetingDelivery>({
      keyOf: (d) => d.event.position,
      batchSize: 1,
      maxAttempts: this.maxAttempts,
      ...(this.retry ? { retry: this.retry } : {}),
    })
    this.engine = engine
    const feed = this.subscribe()
    try {
      await engine.run(new IterableSource(feed), this.sink)
    } finally {
      this.earlier = this.counted(engine.counters)
      this.engine = undefined
      await feed.close()
    }
  }

  /**
   * Asks {@link run} to stop. The event in hand, if any, is left
   * unacknowledged, and so is one waiting for its next attempt: it goes to
   * another worker of the group (or again to this one when it joins again),
   * as do the events in flight.
   */
  async stop(): Promise<void> {
    this.engine?.stop({ drop: true })
  }

  private counted(counters: EngineCounters | undefined): { handled: number; retried: number } {
    return { handled: this.earlier.handled + (counters?.eventsApplied ?? 0), retried: this.earlier.retried + (counters?.retries ?? 0) }
  }
}
