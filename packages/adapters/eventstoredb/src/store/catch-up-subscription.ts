import type { AllStreamResolvedEvent, AllStreamSubscription, Position, ReadPosition } from '@eventstore/db-client'
import type { EventFilter, RecordedEvent, Subscription } from '@eventfold/core'
import { fromEventStoreDBEvent } from '../mapping/events'
import { matchesEventFilter } from '../mapping/filter'
import { encodePosition, isLogPosition } from '../mapping/position'
import { OrderedBuffer } from './ordered-buffer'

/** Where a catch-up subscription starts, worked out when it was created. */
export interface SubscriptionStart {
  /** What the server is asked for: it delivers the events after the event at this position. */
  readonly from: ReadPosition
  /** The eventfold position already reached (the checkpoint given, or the head for `'end'`). */
  readonly reached: bigint | undefined
}

/** What {@link catchUpSubscription} needs from the store. */
export interface CatchUpSource {
  readonly start: Promise<SubscriptionStart>
  /** Opens the client's subscription; `checkpointReached` is the server filter's checkpoint callback. */
  open(from: ReadPosition, checkpointReached: (subscription: AllStreamSubscription, position: Position) => void): AllStreamSubscription
  /** Translates a failure of the client's subscription. */
  translate(error: unknown): unknown
}

/** Options of {@link catchUpSubscription}. */
export interface CatchUpSubscriptionOptions {
  readonly filter?: EventFilter
  readonly onCaughtUp?: (position: bigint | undefined) => void
  /** Called once when the subscription is over: closed, left by its consumer, or failed. */
  readonly onEnd?: () => void
  /** Events buffered before the client's stream is paused. @default 512 */
  readonly highWaterMark?: number
  /**
   * Ends the iteration once the log has been passed up to this position (an
   * event or a server checkpoint at or after it): how a bounded read ends on
   * every server, with or without its `caughtUp` message.
   * @default unbounded
   */
  readonly until?: bigint
  /**
   * Events to leave out while catching up (see `RemovedEvents`): history
   * that a read of its stream no longer returns. Live events were just
   * written and are not asked about.
   * @default none
   */
  readonly hidden?: (e: { readonly streamId: string; readonly revision: bigint }) => Promise<boolean>
}

/**
 * An eventfold {@link Subscription} over the client's `subscribeToAll`.
 *
 * The server filters (see `toEventStoreDBFilter`) and sends checkpoints while
 * it skips events; the client checks both filter dimensions again and drops
 * system events. The subscription is caught up once the server has said so
 * (its `caughtUp` message, EventStoreDB 23.10 and later) and everything
 * received has been handed over; it then calls `onCaughtUp` with the furthest
 * position it has passed: the last event seen (delivered or filtered out) or
 * the last checkpoint. It reports again, with a new position, each time it
 * drains after more events or checkpoints, so idle filtered subscribers can
 * advance their checkpoint. The server never tells a client that it fell
 * behind again (its live buffer overflowed and it went back to reading
 * history), so `isCaughtUp` says that everything received has been handed
 * over since the server was last live, not that the server is live now.
 */
export const catchUpSubscription = (source: CatchUpSource, options: CatchUpSubscriptionOptions = {}): Subscription => {
  const { filter, onCaughtUp, onEnd, highWaterMark = 512, until, hidden } = options
  const lowWaterMark = Math.floor(highWaterMark / 4)
  const buffer = new OrderedBuffer<AllStreamResolvedEvent, Position>()
  let upstream: AllStreamSubscription | undefined
  let caughtUp = false
  let started = false
  let closed = false
  let ended = false
  const end = (): void => {
    if (ended) return
    ended = true
    onEnd?.()
  }
  // A subscription closed before it is iterated never awaits its start.
  source.start.catch(() => undefined)

  const stopUpstream = async (): Promise<void> => {
    const sub = upstream
    upstream = undefined
    if (!sub) return
    sub.removeAllListeners('data')
    await sub.unsubscribe().catch(() => undefined)
  }

  async function* run(): AsyncGenerator<RecordedEvent> {
    try {
      yield* follow()
    } finally {
      await stopUpstream()
      end()
    }
  }

  async function* follow(): AsyncGenerator<RecordedEvent> {
    let start: SubscriptionStart
    try {
      start = await source.start
    } catch (error) {
      if (closed) return
      throw source.translate(error)
    }
    if (closed) return
    const { from, reached } = start
    let position = reached
    let live = false
    let reported: { position: bigint | undefined } | undefined
    const advance = (p: Position): void => {
      if (!isLogPosition(p)) return
      const encoded = encodePosition(p)
      if (position === undefined || encoded > position) position = encoded
    }
    const sub = source.open(from, (s, p) => buffer.mark({ kind: 'checkpoint', position: p }, s.readableLength))
    upstream = sub
    sub.on('data', (resolved: AllStreamResolvedEvent) => {
      buffer.push(resolved)
      if (buffer.size >= highWaterMark) sub.pause()
    })
    sub.on('caughtUp', () => buffer.mark({ kind: 'caught-up' }, sub.readableLength))
    sub.on('fellBehind', () => buffer.mark({ kind: 'fell-behind' }, sub.readableLength))
    sub.on('error', (error: unknown) => buffer.fail(error))
    // The server never ends a subscription on its own accord: an end that was not asked for is a failure.
    sub.on('end', () => (closed ? buffer.end() : buffer.fail(undefined)))

    for (;;) {
      if (live && buffer.size === 0) {
        caughtUp = true
        if (!reported || reported.position !== position) {
          reported = { position }
          onCaughtUp?.(position)
        }
      }
      const item = await buffer.take()
      if (sub.isPaused() && buffer.size <= lowWaterMark) sub.resume()
      switch (item.kind) {
        case 'event': {
          const e = item.event.event
          if (!e || !isLogPosition(e.position)) break
          if (until !== undefined && encodePosition(e.position) > until) return
          advance(e.position)
          if (matchesEventFilter(filter, e) && !(hidden && !live && (await hidden(e)))) {
            caughtUp = false
            yield fromEventStoreDBEvent(e, encodePosition(e.position))
            if (closed) return
          }
          if (until !== undefined && position !== undefined && position >= until) return
          break
        }
        case 'checkpoint':
          advance(item.position)
          if (until !== undefined && position !== undefined && position >= until) return
          break
        case 'caught-up':
          live = true
          break
        case 'fell-behind':
          live = false
          caughtUp = false
          break
        case 'error':
          if (closed) return
          throw source.translate(item.error)
        case 'end':
          return
      }
    }
  }

  const iterator = run()
  return {
    get isCaughtUp() {
      return caughtUp
    },
    [Symbol.asyncIterator]() {
      if (started) throw new Error('A subscription can be iterated only once')
      started = true
      return iterator
    },
    // The client delivers one event at a time: a batch is the next event.
    async nextBatch() {
      started = true
      const r = await iterator.next()
      return r.done ? [] : [r.value]
    },
    async close() {
      closed = true
      buffer.end()
      await iterator.return(undefined)
      // A generator closed before it ever ran skips its finally.
      await stopUpstream()
      end()
    },
  }
}
