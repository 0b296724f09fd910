import {
  BACKWARDS,
  END,
  FORWARDS,
  START,
  type AppendResult as EsdbAppendResult,
  type Position,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client'
import {
  StoreClosedError,
  ValidationError,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventRead,
  type EventFilter,
  type EventStore,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '@eventfold/core'
import {
  assertDistinctEventIds,
  assertExpectedRevision,
  assertName,
  eventReadOfEvents,
  prepareEvents,
  type CorrelationLookup,
} from '@eventfold/core/spi'
import { clientOf, isKurrentDBClient, toAdapterClient, type AdapterClient, type EventStoreClient } from '../client/client'
import { PositionUnavailableError, SubscriptionDroppedError } from '../errors'
import { isMissingStreamError, isStreamDeletedError, refusedAppend, translateClientError } from '../mapping/client-errors'
import { fromEventStoreDBEvent, toEventStoreDBEvent } from '../mapping/events'
import { toEventStoreDBEventId } from '../mapping/event-id'
import { toEventStoreDBExpectedRevision } from '../mapping/expected-revision'
import { matchesEventFilter, toEventStoreDBFilter } from '../mapping/filter'
import { comparePositions, decodePosition, encodePosition, isLogPosition } from '../mapping/position'
import { deleteStream, getRetention, setRetention, type DeleteStreamOptions } from '../retention/stream-admin'
import type { RetentionChange, StreamRetention } from '../retention/stream-retention'
import { lastEventAtOrBefore, outermostEvent, rawHead, readAllBackwardsFrom, readAllRaw } from './all-reads'
import { canReadLinks, correlatedEvents, correlationIndexedUpTo } from './by-correlation-id'
import { catchUpSubscription, type CatchUpSource, type SubscriptionStart } from './catch-up-subscription'
import { RemovedEvents } from './removed-events'
import { givesStreamReadPositions, serverVersionOf, signalsCaughtUp } from './server-version'

/** Options of {@link EventStoreDBEventStore}. */
export interface EventStoreDBEventStoreOptions {
  /**
   * How often a filtered subscription gets a checkpoint from the server while
   * it skips events: every `checkpointInterval` × the server's search window
   * of events considered (the client's `checkpointInterval`).
   * @default 1
   */
  readonly checkpointInterval?: number
  /**
   * What `readAll` and the catch-up phase of `subscribeToAll` do with events
   * that are still in `$all` but that a read of their stream no longer
   * returns (deleted, truncated, expired: the server keeps them in `$all`
   * until a scavenge). `'hide'` leaves them out, so a rebuild before a
   * scavenge sees what one after it sees, at one stream read per stream met;
   * `'deliver'` hands them over as the server sends them.
   * @default 'hide'
   */
  readonly removedEvents?: 'hide' | 'deliver'
  /**
   * Whether {@link EventStoreDBEventStore.readCorrelated} looks events up
   * through the server's `$by_correlation_id` projection. Turn it off when
   * that projection is configured with a `correlationIdProperty` other than
   * `$correlationId` or `correlationId` (it then does not link eventfold's
   * events): readers such as `eventfold trace` scan the log instead.
   * @default true
   */
  readonly correlationProjection?: boolean
}

const ignore = (): void => undefined

/** A read's `maxCount`: `undefined` for no limit. @throws {RangeError} for a negative or fractional count. */
const limitOf = (maxCount: number | undefined): number | undefined => {
  if (maxCount === undefined || maxCount === Number.POSITIVE_INFINITY) return undefined
  if (!Number.isInteger(maxCount) || maxCount < 0) throw new RangeError(`maxCount must be a non-negative integer, got ${maxCount}`)
  return maxCount
}

const hasFilter = (filter: EventFilter | undefined): boolean =>
  (filter?.eventTypes?.length ?? 0) > 0 || (filter?.streamPrefixes?.length ?? 0) > 0

/** The position of an event read from a stream. @throws {@link PositionUnavailableError} when the server gave none. */
const streamEventPosition = (e: EsdbRecordedEvent): bigint => {
  if (!isLogPosition(e.position)) throw new PositionUnavailableError(e.streamId, e.revision)
  return encodePosition(e.position)
}

/**
 * The {@link EventStore} on EventStoreDB and KurrentDB (21.10+; 23.10+ for
 * the caught-up signal of subscriptions), through `@kurrent/kurrentdb-client`
 * (the default for connection strings) or `@eventstore/db-client`.
 *
 * - Positions are the server's `$all` positions `{ commit, prepare }`, encoded
 *   exactly and in order as `commit × 2^64 + prepare` (see `encodePosition`).
 * - Expected revisions map one to one; a conflict is a `ConcurrencyError`.
 * - Event ids are EventStoreDB event ids, so a retried append is idempotent
 *   the way the server makes it (see `toEventStoreDBEventId`).
 * - The log is `$all` without system events (streams or types starting with
 *   `$`). Filters are applied by the server for subscriptions and forward
 *   `readAll` (which reads through a filtered catch-up subscription, as this
 *   client version's `readAll` takes no filter); backward reads filter on the client.
 *
 * Pass a client to share it (the store then never disposes of it), or a
 * connection string for a client the store owns and disposes on `close()`.
 * @example
 * ```ts
 * const events = new EventStoreDBEventStore('esdb://127.0.0.1:2113?tls=false')
 * await events.appendToStream('Account-1', [{ type: 'Opened', data: { owner: 'Ann' } }], { expectedRevision: 'no_stream' })
 * for await (const e of events.readStream('Account-1')) console.log(e.revision, e.type)
 * await events.close()
 * ```
 */
export class EventStoreDBEventStore implements EventStore, CorrelationLookup {
  /** The client this store talks through, as given (or made from the connection string). */
  readonly client: EventStoreClient
  /** The same client in the adapter's shape. */
  private readonly esdb: AdapterClient
  private readonly ownsClient: boolean
  private readonly checkpointInterval: number
  private readonly subscriptions = new Set<Subscription>()
  /** Head reads of `'end'` subscriptions still running: appends through this store wait for them. */
  private readonly pendingStarts = new Set<Promise<unknown>>()
  private closed = false
  private caughtUpSignal: Promise<boolean> | undefined

  private readonly hideRemoved: boolean
  private readonly correlationProjection: boolean

  constructor(
    client: EventStoreClient | string,
    { checkpointInterval = 1, removedEvents = 'hide', correlationProjection = true }: EventStoreDBEventStoreOptions = {},
  ) {
    this.hideRemoved = removedEvents === 'hide'
    this.correlationProjection = correlationProjection
    this.ownsClient = typeof client === 'string'
    this.client = typeof client === 'string' ? clientOf(client) : client
    this.esdb = toAdapterClient(this.client)
    if (!Number.isSafeInteger(checkpointInterval) || checkpointInterval < 1) {
      throw new RangeError(`checkpointInterval must be a positive integer, got ${checkpointInterval}`)
    }
    this.checkpointInterval = checkpointInterval
  }

  async appendToStream(
    streamId: string,
    events: readonly EventData[],
    { expectedRevision = 'any' }: AppendOptions = {},
  ): Promise<AppendResult> {
    this.assertOpen()
    const prepared = prepareEvents(streamId, events)
    assertDistinctEventIds(prepared.map((e) => e.metadata.eventId))
    // Ids that differ only in the case of a UUID are one EventStoreDB id.
    assertDistinctEventIds(prepared.map((e) => toEventStoreDBEventId(streamId, e.metadata.eventId)))
    const expected = toEventStoreDBExpectedRevision(expectedRevision)
    if (prepared.length === 0) return this.appendNothing(streamId, expectedRevision)
    // An 'end' subscription created before this call must not count this append as already there.
    if (this.pendingStarts.size > 0) await Promise.allSettled([...this.pendingStarts])
    let result: EsdbAppendResult
    try {
      result = await this.esdb.appendToStream(streamId, prepared.map((e) => toEventStoreDBEvent(streamId, e)), { expectedRevision: expected })
    } catch (error) {
      // "Deleted" also answers `stream_exists` for a soft-deleted stream, which can be written again: tell it from a tombstone.
      const tombstoned = isStreamDeletedError(error) && expectedRevision === 'stream_exists' ? await this.isTombstoned(streamId) : true
      throw translateClientError(error, { streamId, expected: expectedRevision, tombstoned })
    }
    if (!result.success) {
      // Only with a client made with `throwOnAppendFailure: false`, whose batch append misreports the revision: read it.
      const last = await this.lastOfStream(streamId)
      throw refusedAppend(streamId, expectedRevision, last?.revision)
    }
    const nextRevision = result.nextExpectedRevision
    const position = isLogPosition(result.position)
      ? encodePosition(result.position)
      : await this.positionOf(streamId, nextRevision)
    return { nextRevision, position }
  }

  /** Reads one stream through the client's streaming read; `pages()` gathers its events in pages. */
  readStream(streamId: string, options: ReadStreamOptions = {}): EventRead {
    return eventReadOfEvents(() => this.streamEvents(streamId, options))
  }

  /** Reads the whole log, as {@link readStream} reads a stream. */
  readAll(options: ReadAllOptions = {}): EventRead {
    return eventReadOfEvents(() => this.logEvents(options))
  }

  private async *streamEvents(streamId: string, options: ReadStreamOptions): AsyncGenerator<RecordedEvent> {
    this.assertOpen()
    assertName(streamId, 'streamId')
    const { direction = 'forwards' } = options
    let maxCount = limitOf(options.maxCount)
    if (maxCount === 0) return
    let from = options.fromRevision ?? (direction === 'forwards' ? 'start' : 'end')
    let readDirection = direction
    if (typeof from === 'bigint' && from < 0n) throw new RangeError(`fromRevision must be non-negative, got ${from}`)
    // eventfold's 'end' forwards is the last event, inclusive; EventStoreDB's would read nothing.
    if (direction === 'forwards' && from === 'end') {
      readDirection = 'backwards'
      maxCount = 1
    }
    // Backwards from 'start' is the first event only.
    if (direction === 'backwards' && from === 'start') from = 0n
    const read = this.esdb.readStream(streamId, {
      direction: readDirection === 'forwards' ? FORWARDS : BACKWARDS,
      fromRevision: from === 'start' ? START : from === 'end' ? END : from,
      maxCount: maxCount ?? Number.MAX_SAFE_INTEGER,
    })
    try {
      for await (const resolved of read) {
        const e = resolved.event
        if (e) yield fromEventStoreDBEvent(e, streamEventPosition(e))
      }
    } catch (error) {
      if (isMissingStreamError(error)) return
      throw translateClientError(error, { streamId })
    } finally {
      await read.cancel().catch(ignore)
    }
  }

  private async *logEvents(options: ReadAllOptions): AsyncGenerator<RecordedEvent> {
    this.assertOpen()
    const { direction = 'forwards', filter } = options
    const maxCount = limitOf(options.maxCount) ?? Number.POSITIVE_INFINITY
    if (maxCount === 0) return
    const from = options.fromPosition ?? (direction === 'forwards' ? 'start' : 'end')
    const start = typeof from === 'bigint' ? decodePosition(from) : from
    // eventfold's 'end' forwards is the last event, inclusive, and 'start' backwards the first.
    if ((direction === 'forwards' && start === 'end') || (direction === 'backwards' && start === 'start')) {
      const removed = this.removedEvents()
      const e = await outermostEvent(this.esdb, direction === 'forwards' ? 'backwards' : 'forwards', removed && ((x) => removed.hides(x)))
      if (e && matchesEventFilter(filter, e)) yield fromEventStoreDBEvent(e, encodePosition(e.position))
      return
    }
    const serverFiltered = direction === 'forwards' && start !== 'end' && hasFilter(filter)
    // The EventStoreDB client's readAll takes no filter: it reads through a filtered subscription, which
    // ends on the server's caughtUp (23.10+); before 23.10 the read is filtered on the client.
    if (serverFiltered && !isKurrentDBClient(this.client) && (await this.serverSignalsCaughtUp())) {
      yield* this.filteredForwards(start, filter!, maxCount)
      return
    }
    const source =
      direction === 'backwards' && typeof start !== 'string'
        ? readAllBackwardsFrom(this.esdb, start)
        : readAllRaw(this.esdb, {
            direction,
            fromPosition: start,
            ...(serverFiltered && isKurrentDBClient(this.client) ? { filter: toEventStoreDBFilter(filter, { checkpointInterval: this.checkpointInterval }) } : {}),
          })
    const removed = this.removedEvents()
    let n = 0
    for await (const e of source) {
      if (!matchesEventFilter(filter, e)) continue
      if (removed && (await removed.hides(e))) continue
      yield fromEventStoreDBEvent(e, encodePosition(e.position))
      if (++n >= maxCount) return
    }
  }

  /**
   * The events whose `metadata.correlationId` is `correlationId`, in log
   * order, through the server's `$by_correlation_id` projection: the links
   * in `$bc-<correlationId>` up to the projection's last checkpoint, then
   * `$all` after it, filtered here. Events a read of their stream no longer
   * returns are left out, whatever `removedEvents` says.
   * @returns `undefined` when the lookup cannot answer completely: the
   * projection is not running or has no checkpoint yet, its status cannot be
   * read, the connection's user may not read `$bc-` streams, the server is
   * older than 22.6 (its stream reads give no positions), or
   * `correlationProjection` is off. Scan the log then.
   */
  async readCorrelated(correlationId: string): Promise<EventRead | undefined> {
    this.assertOpen()
    if (!this.correlationProjection) return undefined
    if (!givesStreamReadPositions(await serverVersionOf(this.esdb).catch(() => 'unknown'))) return undefined
    const indexedUpTo = await correlationIndexedUpTo(this.esdb)
    if (!indexedUpTo || !(await canReadLinks(this.esdb, correlationId))) return undefined
    return eventReadOfEvents(() => {
      this.assertOpen()
      return correlatedEvents(this.esdb, correlationId, indexedUpTo)
    })
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.assertOpen()
    const { fromPosition = 'start', filter, onCaughtUp } = options
    const start = this.subscriptionStart(fromPosition)
    if (fromPosition === 'end') {
      this.pendingStarts.add(start)
      const forget = () => this.pendingStarts.delete(start)
      start.then(forget, forget)
    }
    const removed = this.removedEvents()
    const sub: Subscription = catchUpSubscription(this.catchUpSource(start, filter), {
      ...(filter ? { filter } : {}),
      ...(removed ? { hidden: (e) => removed.hides(e) } : {}),
      ...(onCaughtUp ? { onCaughtUp } : {}),
      onEnd: () => this.subscriptions.delete(sub),
    })
    this.subscriptions.add(sub)
    return sub
  }

  async streamRevision(streamId: string): Promise<bigint | undefined> {
    this.assertOpen()
    assertName(streamId, 'streamId')
    return (await this.lastOfStream(streamId))?.revision
  }

  async headPosition(): Promise<bigint | undefined> {
    this.assertOpen()
    const last = await outermostEvent(this.esdb, 'backwards')
    return last && encodePosition(last.position)
  }

  /**
   * Changes how long the stream keeps its events (see {@link StreamRetention}).
   * A value sets a limit, `null` removes it, a missing key leaves it.
   * @returns the retention now in force.
   * @throws {@link ValidationError} for a limit that is not a positive integer.
   * @example await events.setRetention('Session-1', { maxAge: 30 * 24 * 3600 })
   */
  async setRetention(streamId: string, change: RetentionChange): Promise<StreamRetention> {
    this.assertOpen()
    return setRetention(this.esdb, streamId, change)
  }

  /** The stream's retention now: the limits that are set. */
  async getRetention(streamId: string): Promise<StreamRetention> {
    this.assertOpen()
    return getRetention(this.esdb, streamId)
  }

  /**
   * Deletes a stream: soft by default (it reads as missing, its events are
   * scavenged, and it can be written again with revisions going on), or hard
   * with `{ hard: true }` (a tombstone: it can never be written again).
   * @throws {@link ConcurrencyError} when the stream is not at the expected revision.
   * @throws {@link StreamTombstonedError} when it is tombstoned already.
   */
  async deleteStream(streamId: string, options: DeleteStreamOptions = {}): Promise<{ readonly position: bigint | undefined }> {
    this.assertOpen()
    return deleteStream(this.esdb, streamId, options)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.subscriptions].map((s) => s.close()))
    if (this.ownsClient) await this.esdb.dispose()
  }

  /** An append of no events: checked against the expected revision, then the stream's current revision and position. */
  private async appendNothing(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    const last = await this.lastOfStream(streamId)
    assertExpectedRevision(streamId, expected, last?.revision)
    if (!last) throw new ValidationError(`Cannot append no events to the missing stream '${streamId}'`)
    return { nextRevision: last.revision, position: streamEventPosition(last) }
  }

  /** The stream's last event, or `undefined` when it does not exist (or was deleted). */
  private async lastOfStream(streamId: string): Promise<EsdbRecordedEvent | undefined> {
    const read = this.esdb.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })
    try {
      for await (const resolved of read) if (resolved.event) return resolved.event
      return undefined
    } catch (error) {
      if (isMissingStreamError(error)) return undefined
      throw translateClientError(error, { streamId })
    } finally {
      await read.cancel().catch(ignore)
    }
  }

  /** True when reading the stream says it is deleted: only a tombstoned stream does (a soft-deleted one reads as not found). */
  private async isTombstoned(streamId: string): Promise<boolean> {
    const read = this.esdb.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })
    try {
      for await (const _ of read) return false
      return false
    } catch (error) {
      return isStreamDeletedError(error)
    } finally {
      await read.cancel().catch(ignore)
    }
  }

  /** The position of the event at `revision`, for an append result that came without one. */
  private async positionOf(streamId: string, revision: bigint): Promise<bigint> {
    for await (const e of this.readStream(streamId, { fromRevision: revision, maxCount: 1 })) return e.position
    throw new PositionUnavailableError(streamId, revision)
  }

  /**
   * A forward read of `$all` filtered by the server: a catch-up subscription
   * with the server-side filter, from just before `from`, up to the head of
   * the log when it was called, closed once it has passed that head or
   * caught up (or has given `maxCount` events). The client's `readAll` takes
   * no filter, and filtering a large log on the client would move all of it
   * over the network.
   */
  private async *filteredForwards(from: Position | 'start', filter: EventFilter, maxCount: number): AsyncGenerator<RecordedEvent> {
    // The read ends at the head of the log when it was called, whether or not the server says it caught up.
    const head = await rawHead(this.esdb)
    if (!head || (from !== 'start' && comparePositions(from, head) > 0)) return
    const before = from === 'start' ? undefined : await lastEventAtOrBefore(this.esdb, from, { inclusive: false })
    const start = Promise.resolve<SubscriptionStart>({ from: before ?? START, reached: undefined })
    // Called from inside the iteration, which the close ends: not awaited.
    const removed = this.removedEvents()
    const sub: Subscription = catchUpSubscription(this.catchUpSource(start, filter), {
      filter,
      until: encodePosition(head),
      ...(removed ? { hidden: (e) => removed.hides(e) } : {}),
      onCaughtUp: () => void sub.close(),
    })
    let n = 0
    try {
      for await (const e of sub) {
        yield e
        if (++n >= maxCount) return
      }
    } finally {
      await sub.close()
    }
  }

  /** The client's catch-up subscription to `$all` from `start`, filtered by the server. */
  private catchUpSource(start: Promise<SubscriptionStart>, filter: EventFilter | undefined): CatchUpSource {
    return {
      start,
      open: (from, checkpointReached) =>
        this.esdb.subscribeToAll({
          fromPosition: from,
          filter: toEventStoreDBFilter(filter, { checkpointReached, checkpointInterval: this.checkpointInterval }),
        }),
      translate: (cause) => new SubscriptionDroppedError({ cause }),
    }
  }

  /** Where a subscription starts: worked out now, so that `'end'` is the head when subscribing. */
  private subscriptionStart(fromPosition: bigint | 'start' | 'end'): Promise<SubscriptionStart> {
    if (fromPosition === 'start') return Promise.resolve({ from: START, reached: undefined })
    if (fromPosition === 'end') {
      return rawHead(this.esdb).then((head) => (head ? { from: head, reached: encodePosition(head) } : { from: START, reached: undefined }))
    }
    const checkpoint: Position = decodePosition(fromPosition)
    return lastEventAtOrBefore(this.esdb, checkpoint).then((at) => ({ from: at ?? START, reached: fromPosition }))
  }

  /** A cache of removed events for one read or subscription, unless they are delivered. */
  private removedEvents(): RemovedEvents | undefined {
    return this.hideRemoved ? new RemovedEvents(this.esdb) : undefined
  }

  /** Whether the server sends `caughtUp` (23.10+), asked once per store. */
  private serverSignalsCaughtUp(): Promise<boolean> {
    // A failure (no connection yet) is not remembered: the next read asks again.
    this.caughtUpSignal ??= serverVersionOf(this.esdb).then(signalsCaughtUp, () => {
      this.caughtUpSignal = undefined
      return false
    })
    return this.caughtUpSignal
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError('EventStoreDBEventStore')
  }
}
