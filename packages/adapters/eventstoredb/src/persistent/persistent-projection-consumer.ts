import type { EventStoreClient } from '../client/client'
import { type BackoffPolicy, type RecordedEvent } from '@eventfold/core'
import { backoffDelay } from '@eventfold/core/spi'
import type { CompetingDelivery } from '@eventfold/projections/spi'
import { PersistentSubscriptionSource, type PersistentSubscriptionFeed, type PersistentSubscriptionSourceOptions } from './persistent-subscription-source'

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
 * of one stream reach one worker, in order. A failing event is retried here,
 * with backoff, so that later events of its stream do not overtake it, and
 * after `maxAttempts` it is parked: the server writes it to the group's
 * parked stream with the error, {@link deadLetters} lists it,
 * {@link replayParked} sends it again. Buckets move when workers join or
 * leave: order across such a move holds once the previous worker has
 * acknowledged its in-flight events.
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
  private readonly retry: BackoffPolicy
  private readonly handle: PersistentProjectionConsumerOptions['handle']
  private stopRequested = false
  private running: PersistentSubscriptionFeed | undefined
  private wakeSleep: (() => void) | undefined
  private counters = { handled: 0, retried: 0 }

  constructor(client: EventStoreClient, options: PersistentProjectionConsumerOptions) {
    super(client, options)
    const { maxAttempts = 3, retry = { initialDelayMs: 50, maxDelayMs: 5000 } } = options
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`)
    this.maxAttempts = maxAttempts
    this.retry = retry
    this.handle = options.handle
  }

  /** Counters so far. */
  get status(): PersistentConsumerStatus {
    return { ...this.counters, ...this.counts }
  }

  /**
   * Joins the group and handles events until {@link stop}. Resolves when
   * stopped.
   * @throws {@link SubscriptionDroppedError} when the server or the connection ends the subscription; join again to go on.
   */
  async run(): Promise<void> {
    if (this.running) throw new Error(`The consumer of group '${this.options.group}' is already running`)
    this.stopRequested = false
    const feed = this.subscribe()
    this.running = feed
    try {
      for await (const delivery of feed) {
        await this.process(delivery)
        if (this.stopRequested) return
      }
    } finally {
      this.running = undefined
      await feed.close()
    }
  }

  /**
   * Asks {@link run} to stop after the event in hand. Events in flight that
   * were not acknowledged go to other workers of the group (or again to this
   * one when it joins again).
   */
  async stop(): Promise<void> {
    this.stopRequested = true
    this.running?.end()
    this.wakeSleep?.()
  }

  /** Handles one delivered event: ack on success, retry here with backoff, park after the last attempt. */
  private async process(delivery: CompetingDelivery): Promise<void> {
    const handle = this.handle
    for (let attempt = 1; ; attempt++) {
      try {
        await handle(delivery.event)
        await delivery.ack()
        this.counters.handled++
        return
      } catch (error) {
        if (attempt >= this.maxAttempts) {
          await delivery.park(error, attempt)
          return
        }
        this.counters.retried++
        await this.pause(backoffDelay(attempt + 1, this.retry))
        // Stopping between attempts: left unacknowledged, the event goes to a worker of the group again.
        if (this.stopRequested) return
      }
    }
  }

  /** Sleeps `ms`, or less when stopped. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.wakeSleep = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.wakeSleep = done
    })
  }
}
