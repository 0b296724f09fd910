import {
  END,
  ErrorType,
  PARK,
  PINNED,
  START,
  persistentSubscriptionToAllSettingsFromDefaults,
  type Credentials,
  type EventStoreDBClient,
  type PersistentSubscriptionToAll,
  type PersistentSubscriptionToAllResolvedEvent,
  type PersistentSubscriptionToAllSettings,
} from '@eventstore/db-client'
import { backoffDelay, type BackoffPolicy, type EventFilter, type RecordedEvent } from '@eventfold/core'
import type { DeadLetter } from '@eventfold/projections'
import { isMissingStreamError } from '../mapping/client-errors'
import { fromEventStoreDBEvent } from '../mapping/events'
import { matchesEventFilter, toEventStoreDBFilter } from '../mapping/filter'
import { decodePosition, encodePosition, isLogPosition } from '../mapping/position'
import { PositionUnavailableError, SubscriptionDroppedError } from '../errors'
import { OrderedBuffer } from '../store/ordered-buffer'
import { encodeParkReason, parkedStreamOf, toDeadLetter } from './parked-messages'

/** Options of {@link PersistentProjectionConsumer}. */
export interface PersistentProjectionConsumerOptions {
  /** The persistent subscription group on `$all`: one per projection, joined by every worker of it. */
  readonly group: string
  /**
   * Applies one event. Delivery is at least once (a worker that dies before
   * it acks has its events sent again), so the handler must be idempotent,
   * e.g. by the event's position.
   */
  readonly handle: (event: RecordedEvent) => Promise<void> | void
  /** The events the group delivers, filtered by the server (set when the group is created). @default every non-system event */
  readonly filter?: EventFilter
  /** Where a new group starts: `'start'`, `'end'`, or a position (inclusive). @default 'start' */
  readonly startFrom?: 'start' | 'end' | bigint
  /** Attempts at one event in this worker, with backoff, before it is parked. @default 3 */
  readonly maxAttempts?: number
  /** Backoff between attempts. @default { initialDelayMs: 50, maxDelayMs: 5000 } */
  readonly retry?: BackoffPolicy
  /** Events the server may have in flight to this worker. @default 10 */
  readonly bufferSize?: number
  /** Server settings of the group, over this class's defaults (`Pinned`, start, no link resolution). */
  readonly settings?: Partial<PersistentSubscriptionToAllSettings>
  /** The projection named in dead letters. @default the group */
  readonly projection?: string
  /** The read-model generation named in dead letters. @default 1 */
  readonly generation?: number
  /** Credentials for managing the group and reading its parked messages (admin by default on the server). @default the client's */
  readonly credentials?: Credentials
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
 * A projection worker mode for scale-out on EventStoreDB: the server keeps
 * the position (a persistent subscription group on `$all`) and hands events
 * out to every worker that joins the group.
 *
 * The group uses the `Pinned` consumer strategy: the server hashes each
 * event's stream id into a bucket and sends a bucket to one worker only, so
 * the events of one stream reach one worker, in order. (`PinnedByCorrelation`
 * hashes the `$correlationId` of the metadata instead, which would spread one
 * stream over workers as soon as its events come from different requests;
 * this client version cannot even select it.) Within a worker, events are
 * handled one at a time; a failing event is retried here, with backoff, so
 * that later events of its stream do not overtake it, and after
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
export class PersistentProjectionConsumer {
  private readonly maxAttempts: number
  private readonly retry: BackoffPolicy
  private stopRequested = false
  private running: { sub: PersistentSubscriptionToAll; buffer: OrderedBuffer<PersistentSubscriptionToAllResolvedEvent, never> } | undefined
  private wakeSleep: (() => void) | undefined
  private counters = { handled: 0, skipped: 0, retried: 0, parked: 0 }

  constructor(
    readonly client: EventStoreDBClient,
    private readonly options: PersistentProjectionConsumerOptions,
  ) {
    const { group, maxAttempts = 3, retry = { initialDelayMs: 50, maxDelayMs: 5000 } } = options
    if (typeof group !== 'string' || group.length === 0) throw new RangeError('A persistent subscription group needs a non-empty name')
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`)
    this.maxAttempts = maxAttempts
    this.retry = retry
  }

  /** The group's name. */
  get group(): string {
    return this.options.group
  }

  /** The stream where the server parks this group's messages. */
  get parkedStream(): string {
    return parkedStreamOf(this.options.group)
  }

  /** Counters so far. */
  get status(): PersistentConsumerStatus {
    return { ...this.counters }
  }

  /** The group's settings as this consumer creates them. */
  settings(): PersistentSubscriptionToAllSettings {
    const { startFrom = 'start', settings } = this.options
    return persistentSubscriptionToAllSettingsFromDefaults({
      startFrom: startFrom === 'start' ? START : startFrom === 'end' ? END : decodePosition(startFrom),
      consumerStrategyName: PINNED,
      resolveLinkTos: false,
      ...settings,
    })
  }

  /**
   * Creates the group, or updates the settings of an existing one. The
   * server cannot change a group's filter: delete and create it for that.
   * @returns whether the group was created or updated.
   */
  async ensure(): Promise<'created' | 'updated'> {
    const { group, filter, credentials } = this.options
    const settings = this.settings()
    try {
      await this.client.createPersistentSubscriptionToAll(group, settings, { filter: toEventStoreDBFilter(filter), ...(credentials ? { credentials } : {}) })
      return 'created'
    } catch (error) {
      if ((error as { type?: unknown })?.type !== ErrorType.PERSISTENT_SUBSCRIPTION_EXISTS) throw error
    }
    await this.client.updatePersistentSubscriptionToAll(group, settings, credentials ? { credentials } : {})
    return 'updated'
  }

  /**
   * Joins the group and handles events until {@link stop}. Resolves when
   * stopped.
   * @throws {@link SubscriptionDroppedError} when the server or the connection ends the subscription; join again to go on.
   */
  async run(): Promise<void> {
    if (this.running) throw new Error(`The consumer of group '${this.options.group}' is already running`)
    this.stopRequested = false
    const { group, bufferSize = 10, credentials } = this.options
    const sub = this.client.subscribeToPersistentSubscriptionToAll(group, { bufferSize, ...(credentials ? { credentials } : {}) })
    const buffer = new OrderedBuffer<PersistentSubscriptionToAllResolvedEvent, never>()
    this.running = { sub, buffer }
    sub.on('data', (e: PersistentSubscriptionToAllResolvedEvent) => buffer.push(e))
    sub.on('error', (error: unknown) => buffer.fail(error))
    sub.on('end', () => (this.stopRequested ? buffer.end() : buffer.fail(undefined)))
    try {
      for (;;) {
        const item = await buffer.take()
        if (item.kind === 'end') return
        if (item.kind === 'error') {
          if (this.stopRequested) return
          throw new SubscriptionDroppedError({ cause: item.error })
        }
        if (item.kind !== 'event') continue
        await this.process(sub, item.event)
        if (this.stopRequested) return
      }
    } finally {
      this.running = undefined
      sub.removeAllListeners('data')
      await sub.unsubscribe().catch(() => undefined)
    }
  }

  /**
   * Asks {@link run} to stop after the event in hand. Events in flight that
   * were not acknowledged go to other workers of the group (or again to this
   * one when it joins again).
   */
  async stop(): Promise<void> {
    this.stopRequested = true
    this.running?.buffer.end()
    this.wakeSleep?.()
  }

  /**
   * The group's parked messages as framework dead letters, oldest first,
   * read from its parked stream (messages already replayed are left out).
   */
  async *deadLetters(): AsyncIterable<DeadLetter> {
    const { group, projection = group, generation = 1, credentials } = this.options
    const read = this.client.readStream(this.parkedStream, { resolveLinkTos: true, ...(credentials ? { credentials } : {}) })
    try {
      for await (const parked of read) {
        const letter = toDeadLetter(parked, { projection, group, generation })
        if (letter) yield letter
      }
    } catch (error) {
      if (!isMissingStreamError(error)) throw error
    } finally {
      await read.cancel().catch(() => undefined)
    }
  }

  /**
   * Sends the parked messages to the group again (the server's replay); they
   * leave the parked stream as they are replayed.
   * @param stopAt - replay at most this many.
   */
  async replayParked({ stopAt }: { stopAt?: number } = {}): Promise<void> {
    const { credentials } = this.options
    await this.client.replayParkedMessagesToAll(this.options.group, {
      ...(stopAt !== undefined ? { stopAt } : {}),
      ...(credentials ? { credentials } : {}),
    })
  }

  /** Handles one delivered event: ack on success, retry here with backoff, park after the last attempt. */
  private async process(sub: PersistentSubscriptionToAll, resolved: PersistentSubscriptionToAllResolvedEvent): Promise<void> {
    const { filter, handle } = this.options
    const raw = resolved.event
    if (!raw || !matchesEventFilter(filter, raw)) {
      await sub.ack(resolved)
      this.counters.skipped++
      return
    }
    let event: RecordedEvent
    try {
      if (!isLogPosition(raw.position)) throw new PositionUnavailableError(raw.streamId, raw.revision)
      event = fromEventStoreDBEvent(raw, encodePosition(raw.position))
    } catch (error) {
      await this.park(sub, resolved, error, 1)
      return
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await handle(event)
        await sub.ack(resolved)
        this.counters.handled++
        return
      } catch (error) {
        if (attempt >= this.maxAttempts) {
          await this.park(sub, resolved, error, resolved.retryCount + attempt)
          return
        }
        this.counters.retried++
        await this.pause(backoffDelay(attempt + 1, this.retry))
        // Stopping between attempts: left unacknowledged, the event goes to a worker of the group again.
        if (this.stopRequested) return
      }
    }
  }

  private async park(sub: PersistentSubscriptionToAll, resolved: PersistentSubscriptionToAllResolvedEvent, error: unknown, attempts: number) {
    await sub.nack(PARK, encodeParkReason(error, attempts), resolved)
    this.counters.parked++
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
