import {
  AggregateNotFoundError,
  AggregateRepository,
  EventfoldError,
  type AggregateClass,
  type AggregateDefinition,
  type RecordedEvent,
} from '@eventfold/core'

/** A replay asked for a revision past the end of the stream. */
export class RevisionOutOfRangeError extends EventfoldError {
  readonly type = 'revision-out-of-range' as const
  constructor(
    readonly streamId: string,
    readonly requested: bigint,
    readonly last: bigint,
  ) {
    super(`Stream '${streamId}' ends at revision ${last}; revision ${requested} does not exist`)
  }
}

/** An aggregate's state at a point of its history, with the events that built it. */
export interface AggregateReplay<State> {
  readonly streamId: string
  readonly state: State
  /** Revision of the last event folded in; `undefined` when `until` precedes the first event. */
  readonly revision: bigint | undefined
  /** Revision of the stream's last event. */
  readonly lastRevision: bigint
  readonly events: readonly RecordedEvent[]
}

/**
 * Rebuilds an aggregate from its stream, ignoring snapshots, up to a revision
 * (inclusive) or a point in time.
 * @throws {@link AggregateNotFoundError} when the stream does not exist.
 * @throws {@link RevisionOutOfRangeError} when `toRevision` is past its end.
 */
export const replayAggregate = async <State>(
  repository: AggregateRepository,
  aggregate: AggregateDefinition<State> | AggregateClass,
  id: string,
  { toRevision, until }: { toRevision?: bigint; until?: Date } = {},
): Promise<AggregateReplay<State>> => {
  const probe = await repository.load<State>(aggregate, id, { toRevision: -1n, useSnapshot: false })
  const lastRevision = await repository.eventStore.streamRevision(probe.streamId)
  if (lastRevision === undefined) throw new AggregateNotFoundError(probe.streamId)
  if (toRevision !== undefined && toRevision > lastRevision) throw new RevisionOutOfRangeError(probe.streamId, toRevision, lastRevision)
  const events: RecordedEvent[] = []
  const loaded = await repository.load<State>(aggregate, id, {
    ...(toRevision !== undefined ? { toRevision } : {}),
    ...(until !== undefined ? { until } : {}),
    useSnapshot: false,
    onEvent: (e) => events.push(e),
  })
  return { streamId: loaded.streamId, state: loaded.state, revision: loaded.revision, lastRevision, events }
}
