import { ValidationError, type AppendResult, type ExpectedRevision } from '@eventfold/core'
import { assertExpectedRevision, findIdempotentAppend } from '@eventfold/core/spi'
import type { EventStatements } from './event-statements'
import { sqliteCode } from './sqlite-errors'

/** An event to insert, serialized before the transaction starts so that the write lock is held briefly. */
export interface PendingEvent {
  readonly eventId: string
  readonly type: string
  readonly data: string
  readonly metadata: string
  /** `metadata.schemaVersion`, or null when unknown. */
  readonly schemaVersion: number | null
}

/** What an append did: its result, and whether it wrote anything (and so must wake subscribers). */
export type AppendOutcome = AppendResult & { readonly appended: boolean }

/**
 * The body of an append. It must run inside a `BEGIN IMMEDIATE` transaction:
 * holding the write lock from the first read, nothing can move between the
 * checks and the inserts, so the checks are the whole truth.
 * 1. A retry of an append that succeeded (same ids, right after the expected
 *    revision) returns the original result and writes nothing.
 * 2. The expected revision is checked against the stream's last revision.
 * 3. The events are inserted at the next revisions; SQLite hands out their
 *    positions. An event id already stored elsewhere makes the unique index
 *    refuse its insert, and the append fails as a whole.
 * @throws {@link ConcurrencyError} when the stream is not at the expected revision.
 * @throws {@link ValidationError} for no events on a missing stream or an event id already stored.
 */
export const appendEvents = (
  { byEventId, streamHead, insert }: EventStatements,
  streamId: string,
  expected: ExpectedRevision,
  events: readonly PendingEvent[],
): AppendOutcome => {
  const retried = findIdempotentAppend(
    streamId,
    expected,
    events.map((e) => e.eventId),
    (id) => byEventId.get(id),
  )
  if (retried) return { ...retried, appended: false }
  const head = streamHead.get(streamId)
  assertExpectedRevision(streamId, expected, head?.revision)
  if (events.length === 0) {
    if (!head) throw new ValidationError(`Cannot append no events to the missing stream '${streamId}'`)
    return { nextRevision: head.revision, position: head.position, appended: false }
  }
  let revision = head ? head.revision : -1n
  let position = 0n
  for (const e of events) {
    revision++
    try {
      position = BigInt(insert.run(streamId, revision, e.eventId, e.type, e.data, e.metadata, e.schemaVersion).lastInsertRowid)
    } catch (error) {
      // The unique event id index refused it: the id was stored before (the
      // batch's own ids are distinct). Found here rather than looked up for
      // every event beforehand; throwing rolls back what this append inserted.
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_UNIQUE' && byEventId.get(e.eventId)) {
        throw new ValidationError(`Event id ${e.eventId} is already stored`, [{ path: 'metadata.eventId', message: 'duplicate' }])
      }
      throw error
    }
  }
  return { nextRevision: revision, position, appended: true }
}
