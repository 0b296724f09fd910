import { assertName } from '../events/limits'
import type { EventData, RecordedEvent } from '../events/event'
import { assertExpectedRevision } from '../events/expected-revision'
import { prepareEvents } from '../events/normalize'
import { unreadMetadata } from '../events/unread-metadata'
import { StoreClosedError, ValidationError } from '../errors/errors'
import {
  eventRead,
  matchesFilter,
  type EventRead,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ReadAllOptions,
  type ReadStreamOptions,
  type SubscribeToAllOptions,
  type Subscription,
} from './event-store'
import { assertDistinctEventIds, findIdempotentAppend } from './idempotency'
import { AppendSignal, pollingSubscription } from './polling-subscription'

const freeze = <T>(e: T): T => Object.freeze(e)

/** Events per page of a read. */
const PAGE_SIZE = 500

/**
 * Pages of the events `next` hands out (given how many it handed out so
 * far) until it returns `undefined`. Memory holds one page, as in the
 * durable stores.
 */
function* pagesOf(next: (n: number) => RecordedEvent | undefined): Generator<readonly RecordedEvent[]> {
  let n = 0
  for (;;) {
    const page: RecordedEvent[] = []
    while (page.length < PAGE_SIZE) {
      const e = next(n)
      if (e === undefined) break
      page.push(e)
      n++
    }
    if (page.length > 0) yield page
    if (page.length < PAGE_SIZE) return
  }
}

/**
 * The reference {@link EventStore}: everything in process memory.
 * Use it in unit tests and to learn the API; it passes the same contract
 * suite as the durable stores. Positions start at 1.
 */
export class InMemoryEventStore implements EventStore {
  private readonly log: RecordedEvent[] = []
  private readonly streams = new Map<string, RecordedEvent[]>()
  private readonly byEventId = new Map<string, RecordedEvent>()
  private readonly signal = new AppendSignal()
  private readonly subscriptions = new Set<Subscription>()
  private closed = false

  async appendToStream(
    streamId: string,
    events: readonly EventData[],
    { expectedRevision = 'any' }: AppendOptions = {},
  ): Promise<AppendResult> {
    this.assertOpen()
    const prepared = prepareEvents(streamId, events)
    assertDistinctEventIds(prepared.map((e) => e.metadata.eventId))
    const idempotent = findIdempotentAppend(
      streamId,
      expectedRevision,
      prepared.map((e) => e.metadata.eventId),
      (id) => this.byEventId.get(id),
    )
    if (idempotent) return idempotent
    const stream = this.streams.get(streamId)
    const actual = stream && stream.length > 0 ? BigInt(stream.length - 1) : undefined
    assertExpectedRevision(streamId, expectedRevision, actual)
    if (prepared.length === 0) {
      if (actual === undefined) throw new ValidationError(`Cannot append no events to the missing stream '${streamId}'`)
      return { nextRevision: actual, position: stream![stream!.length - 1]!.position }
    }
    for (const e of prepared) {
      if (this.byEventId.has(e.metadata.eventId)) {
        throw new ValidationError(`Event id ${e.metadata.eventId} is already stored`, [
          { path: 'metadata.eventId', message: 'duplicate' },
        ])
      }
    }
    const target = stream ?? []
    const recorded = prepared.map((e, i) =>
      freeze({
        type: e.type,
        data: e.data,
        metadata: freeze(e.metadata),
        streamId,
        revision: BigInt(target.length + i),
        position: BigInt(this.log.length + i + 1),
      }),
    )
    for (const r of recorded) {
      target.push(r)
      this.log.push(r)
      this.byEventId.set(r.metadata.eventId, r)
    }
    this.streams.set(streamId, target)
    this.signal.notify()
    const last = recorded[recorded.length - 1]!
    return { nextRevision: last.revision, position: last.position }
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): EventRead {
    return eventRead(() => this.streamPages(streamId, options))
  }

  readAll(options: ReadAllOptions = {}): EventRead {
    return eventRead(() => this.logPages(options))
  }

  private async *streamPages(streamId: string, options: ReadStreamOptions): AsyncGenerator<readonly RecordedEvent[]> {
    this.assertOpen()
    assertName(streamId, 'streamId')
    const { direction = 'forwards', maxCount = Number.POSITIVE_INFINITY, readMetadata = true } = options
    const stream = this.streams.get(streamId) ?? []
    const last = stream.length - 1
    const from = options.fromRevision ?? (direction === 'forwards' ? 'start' : 'end')
    let i = from === 'start' ? 0 : from === 'end' ? last : Number(from)
    if (direction === 'backwards' && i > last) i = last
    const step = direction === 'forwards' ? 1 : -1
    const next = (n: number) => (n < maxCount && i >= 0 && i <= last ? stream[(i += step) - step] : undefined)
    // Metadata left out as the durable stores leave it, so that code relying on it fails in tests too.
    if (readMetadata) yield* pagesOf(next)
    else
      yield* pagesOf((n) => {
        const event = next(n)
        return event && { ...event, metadata: unreadMetadata(event.metadata.schemaVersion) }
      })
  }

  private async *logPages(options: ReadAllOptions): AsyncGenerator<readonly RecordedEvent[]> {
    this.assertOpen()
    const { direction = 'forwards', maxCount = Number.POSITIVE_INFINITY, filter } = options
    const from = options.fromPosition ?? (direction === 'forwards' ? 'start' : 'end')
    const last = this.log.length - 1
    // Positions are 1-based indexes into the log.
    let i = from === 'start' ? 0 : from === 'end' ? last : Number(from) - 1
    if (i < 0 && direction === 'forwards') i = 0
    if (direction === 'backwards' && i > last) i = last
    const step = direction === 'forwards' ? 1 : -1
    yield* pagesOf((n) => {
      for (; n < maxCount && i >= 0 && i <= last; i += step) {
        const e = this.log[i]!
        if (matchesFilter(filter, e)) {
          i += step
          return e
        }
      }
      return undefined
    })
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.assertOpen()
    let seen = this.signal.version
    const sub = pollingSubscription(
      {
        readAfter: async (after, limit, filter) => {
          seen = this.signal.version
          const out: RecordedEvent[] = []
          for (let i = after === undefined ? 0 : Number(after); i < this.log.length && out.length < limit; i++) {
            if (matchesFilter(filter, this.log[i]!)) out.push(this.log[i]!)
          }
          return out
        },
        headPosition: async () => this.head(),
        waitForAppend: (ms, signal) => this.signal.wait(ms, signal, seen),
      },
      { ...options, pollIntervalMs: 1000, onEnd: () => this.subscriptions.delete(sub) },
    )
    this.subscriptions.add(sub)
    return sub
  }

  async streamRevision(streamId: string): Promise<bigint | undefined> {
    this.assertOpen()
    assertName(streamId, 'streamId')
    const stream = this.streams.get(streamId)
    return stream && stream.length > 0 ? BigInt(stream.length - 1) : undefined
  }

  async headPosition(): Promise<bigint | undefined> {
    this.assertOpen()
    return this.head()
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.subscriptions].map((s) => s.close()))
  }

  private head(): bigint | undefined {
    return this.log.length > 0 ? BigInt(this.log.length) : undefined
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError('InMemoryEventStore')
  }
}
