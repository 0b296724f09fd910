import type { EventData, RecordedEvent } from '../events/event'
import type { ExpectedRevision } from '../events/expected-revision'

/** Options of {@link EventStore.appendToStream}. */
export interface AppendOptions {
  /** @default 'any' */
  readonly expectedRevision?: ExpectedRevision
}

/** What an append produced. */
export interface AppendResult {
  /** Revision of the last event now in the stream: pass it as the next expected revision. */
  readonly nextRevision: bigint
  /** Global position of the last event appended. */
  readonly position: bigint
}

/** Options of {@link EventStore.readStream}. */
export interface ReadStreamOptions {
  /** @default 'forwards' */
  readonly direction?: 'forwards' | 'backwards'
  /** First revision to return (inclusive). @default 'start' forwards, 'end' backwards */
  readonly fromRevision?: bigint | 'start' | 'end'
  /** Maximum number of events. @default unlimited */
  readonly maxCount?: number
}

/** Server-side filter for reads and subscriptions over the whole log. */
export interface EventFilter {
  /** Only these event types. */
  readonly eventTypes?: readonly string[]
  /** Only streams whose id starts with one of these, e.g. `'Account-'`. */
  readonly streamPrefixes?: readonly string[]
}

/** Options of {@link EventStore.readAll}. */
export interface ReadAllOptions {
  /** @default 'forwards' */
  readonly direction?: 'forwards' | 'backwards'
  /** First position to return (inclusive). @default 'start' forwards, 'end' backwards */
  readonly fromPosition?: bigint | 'start' | 'end'
  /** Maximum number of events. @default unlimited */
  readonly maxCount?: number
  readonly filter?: EventFilter
}

/** Options of {@link EventStore.subscribeToAll}. */
export interface SubscribeToAllOptions {
  /**
   * A checkpoint: delivery starts with the first event *after* this position.
   * `'start'` delivers the whole log, `'end'` only events appended from now on.
   * @default 'start'
   */
  readonly fromPosition?: bigint | 'start' | 'end'
  readonly filter?: EventFilter
  /**
   * Called each time the subscription has delivered everything in the log and
   * waits for more, with the position it has reached: the last event
   * delivered, or for a filtered subscription the head it has scanned up to
   * (so an idle checkpoint can advance). Every matching event at or below it
   * has been delivered.
   */
  readonly onCaughtUp?: (position: bigint | undefined) => void
}

/** A live subscription: iterate it for events; `close()` ends the iteration. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>
  /** True between catching up with the head and the next event. */
  readonly isCaughtUp: boolean
  /**
   * The next events, up to `maxCount`, as soon as at least one is there (an
   * empty array once the subscription has ended): what iterating would yield
   * next, handed over in one piece. Optional: stores that read the log in
   * pages offer it, sparing each event a promise. Use either this or the
   * iterator, not both.
   */
  nextBatch?(maxCount: number): Promise<readonly RecordedEvent[]>
}

/**
 * The port every event store implements: the log is a set of streams, each an
 * ordered list of events, and a global order over all of them.
 *
 * Reads return async iterables so that memory stays flat however long a
 * stream or the log is.
 */
export interface EventStore {
  /**
   * Appends events to a stream atomically, checked against the expected revision.
   * Appending events whose ids are already the next events of the stream is a
   * no-op that returns the original result (retries are safe).
   * @throws {@link ConcurrencyError} when the stream is not at the expected revision.
   * @throws {@link SerializationError} when a payload cannot be stored as JSON.
   */
  appendToStream(streamId: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult>

  /** Reads one stream. A stream that does not exist yields nothing. */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>

  /** Reads the whole log in global order. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>

  /** Delivers the log from a checkpoint, then stays live with new appends. */
  subscribeToAll(options?: SubscribeToAllOptions): Subscription

  /** Revision of the stream's last event, or `undefined` when the stream does not exist. */
  streamRevision(streamId: string): Promise<bigint | undefined>

  /** Position of the last event in the log, or `undefined` when the log is empty. */
  headPosition(): Promise<bigint | undefined>

  /** Releases connections and ends open subscriptions. */
  close(): Promise<void>
}

/**
 * A read that an embedded store serves without waiting: besides `for await`,
 * it can be iterated with `for…of`, which spares each event an await (a
 * large share of folding a stream). Same events, same errors; a read is
 * iterated once, one way or the other.
 * @example
 * ```ts
 * const read = eventStore.readStream(streamId)
 * if (isSynchronousRead(read)) for (const e of read) fold(e)
 * else for await (const e of read) fold(e)
 * ```
 */
export interface SynchronousRead extends AsyncIterable<RecordedEvent>, Iterable<RecordedEvent> {}

/** True when `read` can also be iterated synchronously (see {@link SynchronousRead}). */
export const isSynchronousRead = (read: AsyncIterable<RecordedEvent>): read is SynchronousRead =>
  typeof (read as Partial<Iterable<RecordedEvent>>)[Symbol.iterator] === 'function'

/**
 * A read that a store fetches page by page over the network: besides
 * `for await` over its events, `pages()` hands out each page as it arrives,
 * so that a consumer folding the events pays one await per page instead of
 * one per event. Same events, same order, same errors; a read is iterated
 * once, one way or the other.
 * @example
 * ```ts
 * const read = eventStore.readStream(streamId)
 * if (isPagedRead(read)) for await (const page of read.pages()) for (const e of page) fold(e)
 * else for await (const e of read) fold(e)
 * ```
 */
export interface PagedRead extends AsyncIterable<RecordedEvent> {
  /** The events in pages (none empty), in read order. */
  pages(): AsyncIterable<readonly RecordedEvent[]>
}

/** True when `read` can also be iterated page by page (see {@link PagedRead}). */
export const isPagedRead = (read: AsyncIterable<RecordedEvent>): read is PagedRead =>
  typeof (read as Partial<PagedRead>).pages === 'function'

/**
 * A {@link PagedRead} over an async generator of pages: iterating it with
 * `for await` hands out the events of each page in turn.
 */
export const pagedRead = (pages: () => AsyncIterable<readonly RecordedEvent[]>): PagedRead => ({
  pages,
  async *[Symbol.asyncIterator]() {
    for await (const page of pages()) yield* page
  },
})

/** True when `filter` lets `event` through. */
export const matchesFilter = (
  filter: EventFilter | undefined,
  event: { readonly type: string; readonly streamId: string },
): boolean => {
  if (!filter) return true
  if (filter.eventTypes && filter.eventTypes.length > 0 && !filter.eventTypes.includes(event.type)) return false
  if (
    filter.streamPrefixes &&
    filter.streamPrefixes.length > 0 &&
    !filter.streamPrefixes.some((p) => event.streamId.startsWith(p))
  ) {
    return false
  }
  return true
}
