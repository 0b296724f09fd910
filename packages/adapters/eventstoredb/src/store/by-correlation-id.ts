import { RUNNING, type EventStoreDBClient, type Position, type RecordedEvent as EsdbRecordedEvent } from '@eventstore/db-client'
import type { RecordedEvent } from '@eventfold/core'
import { PositionUnavailableError } from '../errors'
import { isAccessDeniedError, isMissingStreamError } from '../mapping/client-errors'
import { fromEventStoreDBEvent, isSystemEvent } from '../mapping/events'
import { comparePositions, encodePosition, isLogPosition } from '../mapping/position'
import { readAllRaw } from './all-reads'
import { RemovedEvents } from './removed-events'
import { readStreamEvent } from './stream-event'

/** The server's system projection that links every event with a correlation id into `$bc-<id>`. */
export const BY_CORRELATION_ID = '$by_correlation_id'

/** The stream where {@link BY_CORRELATION_ID} links the events of `correlationId`. */
export const correlationStreamOf = (correlationId: string): string => `$bc-${correlationId}`

/** Links resolved to their events' own positions at once: one stream read each, in parallel. */
const RESOLVE_BATCH = 32

/**
 * The `$all` position of a projection checkpoint as the server reports it
 * (`C:<commit>/P:<prepare>`); `undefined` for anything else, such as the
 * empty text of a projection that has not written a checkpoint yet.
 */
export const parseCheckpointTag = (text: string): Position | undefined => {
  const match = /^C:(\d+)\/P:(\d+)$/.exec(text.trim())
  if (!match) return undefined
  const position = { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) }
  return isLogPosition(position) ? position : undefined
}

/**
 * How far `$bc-` streams are complete: the last checkpoint of the running
 * {@link BY_CORRELATION_ID} projection, which the server writes only once
 * every link for the events up to it is written. `undefined` when the
 * projection is not running, has no checkpoint yet, or its status cannot be
 * read (projections disabled, no permission): a scan of the log is then the
 * only complete answer, and it is always a correct one.
 */
export const correlationIndexedUpTo = async (client: EventStoreDBClient): Promise<Position | undefined> => {
  try {
    const status = await client.getProjectionStatus(BY_CORRELATION_ID)
    if (status?.projectionStatus !== RUNNING) return undefined
    return parseCheckpointTag(status.lastCheckpoint ?? '')
  } catch {
    return undefined
  }
}

/**
 * True when the connection's user may read the flow's `$bc-` stream. It is a
 * system stream, which a secure server lets only admins read by default;
 * a user who may read `$all` but not it still gets an answer by the scan.
 */
export const canReadLinks = async (client: EventStoreDBClient, correlationId: string): Promise<boolean> => {
  const read = client.readStream(correlationStreamOf(correlationId), { maxCount: 1 })
  try {
    for await (const _ of read) break
    return true
  } catch (error) {
    if (isMissingStreamError(error)) return true
    if (isAccessDeniedError(error)) return false
    throw error
  } finally {
    await read.cancel().catch(() => undefined)
  }
}

/** True when eventfold's own metadata of a stored event names `correlationId`. */
const correlatedTo = (e: EsdbRecordedEvent, correlationId: string): boolean => {
  const metadata = e.metadata
  return (
    metadata !== null &&
    typeof metadata === 'object' &&
    !(metadata instanceof Uint8Array) &&
    (metadata as Record<string, unknown>).correlationId === correlationId
  )
}

/**
 * The events of `correlationId` at or before `indexedUpTo`, from the links
 * in its `$bc-` stream, each checked by a read of its own stream: an event
 * that read no longer returns is left out (whether or not the server still
 * resolves the link), as `$all` readers leave removed events out, and the
 * read gives the event's own position, where a resolved link carries the link's.
 */
async function* indexedEvents(client: EventStoreDBClient, correlationId: string, indexedUpTo: Position): AsyncGenerator<RecordedEvent> {
  const read = client.readStream(correlationStreamOf(correlationId), { resolveLinkTos: true })
  let batch: EsdbRecordedEvent[] = []
  const resolve = async function* (targets: readonly EsdbRecordedEvent[]): AsyncGenerator<RecordedEvent | 'past'> {
    const found = await Promise.all(targets.map((target) => readStreamEvent(client, target)))
    for (const e of found) {
      if (!e) continue
      if (!isLogPosition(e.position)) throw new PositionUnavailableError(e.streamId, e.revision)
      if (comparePositions(e.position, indexedUpTo) > 0) {
        yield 'past'
        return
      }
      yield fromEventStoreDBEvent(e, encodePosition(e.position))
    }
  }
  try {
    for await (const resolved of read) {
      const target = resolved.link ? resolved.event : undefined
      // A link to something that is not eventfold's event of this flow: another property configured, a system stream.
      if (!target || isSystemEvent(target) || !correlatedTo(target, correlationId)) continue
      batch.push(target)
      if (batch.length < RESOLVE_BATCH) continue
      for await (const e of resolve(batch)) {
        if (e === 'past') return
        yield e
      }
      batch = []
    }
  } catch (error) {
    // No event of this flow has been linked yet.
    if (!isMissingStreamError(error)) throw error
  } finally {
    await read.cancel().catch(() => undefined)
  }
  for await (const e of resolve(batch)) {
    if (e === 'past') return
    yield e
  }
}

/**
 * The events of `correlationId` after `indexedUpTo`, which the projection
 * may not have linked yet: `$all` from there on, filtered on the client.
 * Removed events are left out, as for the links.
 */
async function* eventsSince(client: EventStoreDBClient, correlationId: string, indexedUpTo: Position): AsyncGenerator<RecordedEvent> {
  const removed = new RemovedEvents(client)
  // From the start of the checkpoint's commit: a checkpoint need not be the position of an event.
  for await (const e of readAllRaw(client, { direction: 'forwards', fromPosition: { commit: indexedUpTo.commit, prepare: 0n } })) {
    if (comparePositions(e.position, indexedUpTo) <= 0 || isSystemEvent(e) || !correlatedTo(e, correlationId)) continue
    if (await removed.hides(e)) continue
    yield fromEventStoreDBEvent(e, encodePosition(e.position))
  }
}

/**
 * The events whose `metadata.correlationId` is `correlationId`, in log
 * order: those the {@link BY_CORRELATION_ID} projection has linked up to its
 * checkpoint `indexedUpTo`, then the rest of the log after it. Each event is
 * given once, even if linked twice (a user projection may copy the metadata
 * into a link of its own), in strictly increasing positions.
 */
export async function* correlatedEvents(client: EventStoreDBClient, correlationId: string, indexedUpTo: Position): AsyncGenerator<RecordedEvent> {
  let last = -1n
  for await (const e of indexedEvents(client, correlationId, indexedUpTo)) {
    if (e.position <= last) continue
    last = e.position
    yield e
  }
  yield* eventsSince(client, correlationId, indexedUpTo)
}
