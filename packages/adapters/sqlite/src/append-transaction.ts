import { ConcurrencyError, ValidationError, type AppendResult, type ExpectedRevision } from '@eventfold/core'
import { findIdempotentAppend, matchesExpectedRevision, type MetadataLayout } from '@eventfold/core/spi'
import type { EventStatements } from './event-statements'
import { rowsOfNextInsert, VALUES_PER_ROW } from './insert-rows'
import { sqliteCode } from './sqlite-errors'

/** An event to insert, serialized before the transaction starts so that the write lock is held briefly. */
export interface PendingEvent {
  readonly eventId: string
  readonly type: string
  readonly data: string
  readonly metadata: string
  /** `metadata.schemaVersion`, or null when unknown. */
  readonly schemaVersion: number | null
  /** The layout of `metadata` when it is one of core's `MetadataLayout`s, else null. */
  readonly metadataLayout: MetadataLayout | null
}

/** What an append did: its result, and whether it wrote anything (and so must wake subscribers). */
export type AppendOutcome = AppendResult & { readonly appended: boolean }

/**
 * The body of an append. It must run inside a `BEGIN IMMEDIATE` transaction:
 * holding the write lock from the first read, nothing can move between the
 * check and the inserts, so the check is the whole truth.
 * 1. The expected revision is checked against the stream's last revision.
 * 2. The events are inserted at the next revisions, a multi-row statement
 *    per chunk; SQLite hands out their positions in row order. An event id
 *    already stored makes the unique index refuse the chunk, and the append
 *    fails as a whole.
 * 3. Only when 1 or 2 refuses is the append checked for being the retry of
 *    one that succeeded (same ids, right after the expected revision): then it
 *    returns the original result and writes nothing. A retry always meets one
 *    of the two refusals, so the happy path looks no event id up.
 * @throws {@link ConcurrencyError} when the stream is not at the expected revision.
 * @throws {@link ValidationError} for no events on a missing stream or an event id already stored.
 */
export const appendEvents = (
  { byEventId, streamHead, inserts }: EventStatements,
  streamId: string,
  expected: ExpectedRevision,
  events: readonly PendingEvent[],
): AppendOutcome => {
  const retry = (): AppendOutcome | undefined => {
    const retried = findIdempotentAppend(
      streamId,
      expected,
      events.map((e) => e.eventId),
      (id) => byEventId.get(id),
    )
    return retried && { ...retried, appended: false }
  }
  const head = streamHead.get(streamId)
  if (!matchesExpectedRevision(expected, head?.revision)) {
    const retried = retry()
    if (retried) return retried
    throw new ConcurrencyError(streamId, expected, head?.revision)
  }
  if (events.length === 0) {
    if (!head) throw new ValidationError(`Cannot append no events to the missing stream '${streamId}'`)
    return { nextRevision: head.revision, position: head.position, appended: false }
  }
  let revision = head ? head.revision : -1n
  let position = 0n
  for (let at = 0; at < events.length; ) {
    const rows = rowsOfNextInsert(events.length - at)
    const values: unknown[] = new Array(rows * VALUES_PER_ROW)
    for (let i = 0, v = 0; i < rows; i++) {
      const e = events[at + i]!
      values[v++] = streamId
      values[v++] = ++revision
      values[v++] = e.eventId
      values[v++] = e.type
      values[v++] = e.data
      values[v++] = e.metadata
      values[v++] = e.schemaVersion
      values[v++] = e.metadataLayout
    }
    try {
      position = inserts.of(rows).run(values).lastInsertRowid as bigint
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_UNIQUE') {
        // The statement failed as a whole, so an id of this chunk found now
        // was stored before this append (the batch's own ids are distinct).
        // A retry's first id is refused by the first chunk, before anything
        // of this append was written.
        const retried = at === 0 ? retry() : undefined
        if (retried) return retried
        const stored = events.slice(at, at + rows).find((e) => byEventId.get(e.eventId))
        if (stored) {
          throw new ValidationError(`Event id ${stored.eventId} is already stored`, [{ path: 'metadata.eventId', message: 'duplicate' }])
        }
      }
      throw error
    }
    at += rows
  }
  return { nextRevision: revision, position, appended: true }
}

