import { MetadataNeeded, restartOnMetadataRead } from '../events/unread-metadata'
import type { EventData, RecordedEvent } from '../events/event'
import { defaultEventRegistry, type EventRegistry } from '../events/event-registry'
import type { ExpectedRevision } from '../events/expected-revision'
import { assertJsonSafe } from '../events/json'
import type { AppendResult, EventStore } from '../store/event-store'
import type { SnapshotStore } from '../snapshots/snapshot-store'
import { AggregateNotFoundError, isConcurrencyError, StreamAlreadyExistsError } from '../errors/errors'
import { traceAppend } from '../telemetry/core-telemetry'
import { logger } from '../telemetry/logger'
import { streamPrefixOf, toAggregateDefinition, type AggregateClass, type AggregateDefinition } from './aggregate-definition'

/** An aggregate's state together with where in its stream it was read. */
export interface LoadedAggregate<State = unknown> {
  readonly streamId: string
  readonly id: string
  readonly state: State
  /** Revision of the last event folded in; `undefined` when the stream does not exist. */
  readonly revision: bigint | undefined
  /** Revision of the snapshot the load started from, if one was used. */
  readonly snapshotRevision?: bigint
  /** Number of events read from the store (after the snapshot). */
  readonly eventsRead: number
}

/** Options of {@link AggregateRepository.load}. */
export interface LoadOptions {
  /** Stop after the event at this revision (inclusive). @default the end of the stream */
  readonly toRevision?: bigint
  /** Stop before the first event that occurred after this instant. @default no limit */
  readonly until?: Date
  /** Use the snapshot store. Replays of history pass `false`. @default true */
  readonly useSnapshot?: boolean
  /** Called with each event folded in, after upcasting. */
  readonly onEvent?: (event: RecordedEvent) => void
}

/** Options of {@link AggregateRepository}. */
export interface AggregateRepositoryOptions {
  /** @default no snapshots */
  readonly snapshots?: SnapshotStore
  /** @default the global registry filled by `@Event` */
  readonly registry?: EventRegistry
}

/**
 * Loads aggregates from their streams (snapshot + later events) and saves
 * new events with optimistic concurrency.
 */
export class AggregateRepository {
  readonly registry: EventRegistry
  private readonly snapshots: SnapshotStore | undefined
  /** Definitions whose loads were seen needing metadata that they had left unread (their evolve, or this registry's upcasters). */
  private readonly readsMetadata = new WeakSet<object>()

  constructor(
    readonly eventStore: EventStore,
    { snapshots, registry = defaultEventRegistry }: AggregateRepositoryOptions = {},
  ) {
    this.snapshots = snapshots
    this.registry = registry
  }

  /**
   * Rebuilds one aggregate. A stream that does not exist gives the initial
   * state with `revision: undefined`; use {@link get} to require it.
   * @throws {@link MissingUpcasterError} when an old event cannot be upcast.
   */
  async load<State>(
    aggregate: AggregateDefinition<State> | AggregateClass,
    id: string,
    options: LoadOptions = {},
  ): Promise<LoadedAggregate<State>> {
    const def = toAggregateDefinition(aggregate) as AggregateDefinition<State>
    // Metadata is left unread only where no application code could see it: not
    // by a handler, `onEvent`, nor the `until` bound. An upcaster that runs
    // sees it: the load then starts over with it.
    const readMetadata = def.evolveReadsMetadata !== false || this.readsMetadata.has(def) || options.onEvent !== undefined || options.until !== undefined
    if (readMetadata) return this.foldStream(def, id, options, true)
    try {
      return await this.foldStream(def, id, options, false)
    } catch (error) {
      if (!(error instanceof MetadataNeeded)) throw error
      // Its evolve or an upcaster read metadata once: later loads read it from the start.
      this.readsMetadata.add(def)
      return this.foldStream(def, id, options, true)
    }
  }

  private async foldStream<State>(
    def: AggregateDefinition<State>,
    id: string,
    { toRevision, until, useSnapshot = true, onEvent }: LoadOptions,
    readMetadata: boolean,
  ): Promise<LoadedAggregate<State>> {
    const streamId = streamPrefixOf(def) + id
    let state = def.initialState()
    let revision: bigint | undefined
    let snapshotRevision: bigint | undefined
    if (useSnapshot && until === undefined && def.snapshot && this.snapshots) {
      const snap = await this.snapshots.load(streamId)
      if (snap && snap.schemaVersion === def.snapshot.version && (toRevision === undefined || snap.revision <= toRevision)) {
        state = def.snapshot.fromSnapshot(snap.state)
        revision = snap.revision
        snapshotRevision = snap.revision
      }
    }
    def.attach?.(state, id, this.registry)
    let eventsRead = 0
    const from = revision === undefined ? 'start' : revision + 1n
    /** Folds one event in; false when the load stops before it. */
    const fold = (raw: RecordedEvent): boolean => {
      if (toRevision !== undefined && raw.revision > toRevision) return false
      if (until !== undefined && Date.parse(raw.metadata.occurredAt) > until.getTime()) return false
      let event: RecordedEvent
      try {
        event = this.registry.upcast(raw)
        state = def.evolve(state, event, this.registry)
      } catch (error) {
        // An upcaster or a handler read metadata this load left unread: it starts over with metadata.
        throw restartOnMetadataRead(error, raw.metadata)
      }
      revision = raw.revision
      eventsRead++
      onEvent?.(event)
      return true
    }
    // A page per await: folding is synchronous, and most streams fit in one page.
    pages: for await (const page of this.eventStore.readStream(streamId, { fromRevision: from, readMetadata }).pages()) {
      for (const raw of page) if (!fold(raw)) break pages
    }
    return {
      streamId,
      id,
      state,
      revision,
      eventsRead,
      ...(snapshotRevision !== undefined ? { snapshotRevision } : {}),
    }
  }

  /**
   * Like {@link load}, but the stream must exist.
   * @throws {@link AggregateNotFoundError}
   */
  async get<State>(aggregate: AggregateDefinition<State> | AggregateClass, id: string, options?: LoadOptions): Promise<LoadedAggregate<State>> {
    const loaded = await this.load<State>(aggregate, id, options)
    if (loaded.revision === undefined) throw new AggregateNotFoundError(loaded.streamId)
    return loaded
  }

  /**
   * Appends new events after the revision the aggregate was loaded at (a
   * stream that did not exist must still not exist), and takes a snapshot
   * when the aggregate's policy says so.
   * @throws {@link ConcurrencyError} when another writer got there first.
   */
  async save<State>(
    aggregate: AggregateDefinition<State> | AggregateClass,
    loaded: LoadedAggregate<State>,
    events: readonly EventData[],
    { expectedRevision, stateAfter }: { expectedRevision?: ExpectedRevision; stateAfter?: State } = {},
  ): Promise<AppendResult> {
    const def = toAggregateDefinition(aggregate) as AggregateDefinition<State>
    return this.append(def, loaded.streamId, loaded.revision, events, expectedRevision ?? loaded.revision ?? 'no_stream', stateAfter)
  }

  /**
   * Appends the first events of a new aggregate, without loading it first:
   * its stream must not exist yet.
   * @param stateAfter the state after the events, for the snapshot policy.
   * @throws {@link StreamAlreadyExistsError} when the aggregate's stream exists.
   * @example
   * ```ts
   * await repository.create(Account, 'a1', [{ type: 'AccountOpened', data: { accountId: 'a1', owner: 'Ann' } }])
   * ```
   */
  async create<State>(
    aggregate: AggregateDefinition<State> | AggregateClass,
    id: string,
    events: readonly EventData[],
    { stateAfter }: { stateAfter?: State } = {},
  ): Promise<AppendResult & { readonly streamId: string }> {
    const def = toAggregateDefinition(aggregate) as AggregateDefinition<State>
    const streamId = streamPrefixOf(def) + id
    try {
      return { streamId, ...(await this.append(def, streamId, undefined, events, 'no_stream', stateAfter)) }
    } catch (error) {
      if (isConcurrencyError(error) && error.actual !== undefined) throw new StreamAlreadyExistsError(streamId, error.actual, { cause: error })
      throw error
    }
  }

  private async append<State>(
    def: AggregateDefinition<State>,
    streamId: string,
    revisionBefore: bigint | undefined,
    events: readonly EventData[],
    expectedRevision: ExpectedRevision,
    stateAfter: State | undefined,
  ): Promise<AppendResult> {
    const result = await traceAppend(streamId, events.length, () => this.eventStore.appendToStream(streamId, events, { expectedRevision }))
    if (def.snapshot && this.snapshots && events.length > 0 && stateAfter !== undefined) {
      const before = revisionBefore === undefined ? -1n : revisionBefore
      const every = BigInt(def.snapshot.every)
      // Snapshot when this append crossed a multiple of `every` events.
      if ((result.nextRevision + 1n) / every > (before + 1n) / every) {
        const state = def.snapshot.toSnapshot(stateAfter)
        try {
          assertJsonSafe(state, 'state')
          await this.snapshots.save({
            streamId,
            revision: result.nextRevision,
            schemaVersion: def.snapshot.version,
            state,
            takenAt: new Date().toISOString(),
          })
        } catch (cause) {
          // A snapshot is a cache: failing to write one must not fail a committed command.
          this.onSnapshotError(streamId, cause)
        }
      }
    }
    return result
  }

  /** Called when a snapshot could not be written; the events are committed regardless. */
  onSnapshotError: (streamId: string, error: unknown) => void = (streamId, error) => {
    logger().warn({ streamId, err: error }, `snapshot of '${streamId}' not saved`)
  }
}
