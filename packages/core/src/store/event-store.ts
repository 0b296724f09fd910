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
  /**
   * `false`: the caller reads no metadata but `schemaVersion`, and a store
   * may leave the rest unread (SQLite and PostgreSQL do, to fetch less per
   * event; the in-memory store does, to behave as they do). Other fields of
   * such an event's metadata throw `MetadataNotReadError`. Aggregate loads
   * pass it when no handler can see the recorded event. @default true
   */
  readonly readMetadata?: boolean
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

/**
 * A live subscription: iterate it for events, or take them in batches with
 * `nextBatch` (use one or the other, not both); `close()` ends either.
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>
  /** True between catching up with the head and the next event. */
  readonly isCaughtUp: boolean
  /**
   * The next events, up to `maxCount`, as soon as at least one is there (an
   * empty array once the subscription has ended): what iterating would yield
   * next, handed over in one piece, so a consumer pays one await per batch.
   */
  nextBatch(maxCount: number): Promise<readonly RecordedEvent[]>
}

/**
 * The port every event store implements: the log is a set of streams, each an
 * ordered list of events, and a global order over all of them.
 *
 * Reads return an {@link EventRead} (events or pages, iterated
 * asynchronously) so that memory stays flat however long a stream or the
 * log is, and every caller reads every store the same way.
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
  readStream(streamId: string, options?: ReadStreamOptions): EventRead

  /** Reads the whole log in global order. */
  readAll(options?: ReadAllOptions): EventRead

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
 * What every read returns. Iterate it with `for await` for one event at a
 * time, or call `pages()` for the same events a page at a time: a consumer
 * that folds many events (the repository, a replay) then pays one await per
 * page instead of one per event. Same events, same order, same errors; a read
 * is iterated once, one way or the other.
 * @example
 * ```ts
 * for await (const page of eventStore.readStream(streamId).pages()) for (const e of page) fold(e)
 * ```
 */
export interface EventRead extends AsyncIterable<RecordedEvent> {
  /** The events in pages (none empty), in read order. */
  pages(): AsyncIterable<readonly RecordedEvent[]>
}

/**
 * An {@link EventRead} over a source of pages, for stores that read in
 * pages: iterating it with `for await` hands out the events of each page in
 * turn. Nothing is read before the iteration starts.
 * @example
 * ```ts
 * readStream(streamId: string): EventRead {
 *   return eventRead(() => this.streamPages(streamId))
 * }
 * ```
 */
export const eventRead = (pages: () => AsyncIterable<readonly RecordedEvent[]>): EventRead => ({
  pages,
  async *[Symbol.asyncIterator]() {
    for await (const page of pages()) yield* page
  },
})

/**
 * An {@link EventRead} over a source that hands out one event at a time (a
 * client's stream): `pages()` gathers up to `pageSize` events per page, so
 * memory holds one page.
 * @param pageSize events per page. @default 500
 */
export const eventReadOfEvents = (events: () => AsyncIterable<RecordedEvent>, pageSize = 500): EventRead => ({
  [Symbol.asyncIterator]: () => events()[Symbol.asyncIterator](),
  async *pages() {
    let page: RecordedEvent[] = []
    for await (const event of events()) {
      page.push(event)
      if (page.length >= pageSize) {
        yield page
        page = []
      }
    }
    if (page.length > 0) yield page
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
