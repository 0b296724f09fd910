import type { ExpectedRevision } from '../events/expected-revision'
import { ValidationError } from '../errors/errors'
import type { AppendResult } from './event-store'

/** Where an already-stored event id lives. */
export interface StoredEventRef {
  readonly streamId: string
  readonly revision: bigint
  readonly position: bigint
}

/**
 * Decides whether an append is the retry of one that already succeeded:
 * every event id is already in `streamId`, in the same order, right after the
 * revision the caller expected. Then the append is a no-op and returns the
 * original result, as EventStoreDB does. Returns `undefined` otherwise.
 */
export const findIdempotentAppend = (
  streamId: string,
  expected: ExpectedRevision,
  eventIds: readonly string[],
  lookup: (eventId: string) => StoredEventRef | undefined,
): AppendResult | undefined => {
  if (eventIds.length === 0) return undefined
  const first = lookup(eventIds[0]!)
  if (!first || first.streamId !== streamId) return undefined
  const start = first.revision
  const fits =
    expected === 'any' ||
    (expected === 'no_stream' && start === 0n) ||
    expected === 'stream_exists' ||
    (typeof expected === 'bigint' && expected + 1n === start)
  if (!fits) return undefined
  let last = first
  for (let i = 1; i < eventIds.length; i++) {
    const ref = lookup(eventIds[i]!)
    if (!ref || ref.streamId !== streamId || ref.revision !== start + BigInt(i)) return undefined
    last = ref
  }
  return { nextRevision: last.revision, position: last.position }
}

/**
 * Refuses a batch that carries the same event id twice: stored, it would make
 * the id ambiguous and a retry of the batch impossible to recognise.
 * @throws {@link ValidationError} naming the repeated id.
 */
export const assertDistinctEventIds = (eventIds: readonly string[]): void => {
  const seen = new Set<string>()
  eventIds.forEach((id, i) => {
    if (seen.has(id)) {
      throw new ValidationError(`Event id ${id} appears more than once in the batch`, [
        { path: `[${i}].metadata.eventId`, message: 'duplicate' },
      ])
    }
    seen.add(id)
  })
}
