import { jsonEvent, type EventData as EsdbEventData, type JSONType, type RecordedEvent as EsdbRecordedEvent } from '@eventstore/db-client'
import { SerializationError, type RecordedEvent } from '@eventfold/core'
import { type PreparedEvent } from '@eventfold/core/spi'
import { toEventStoreDBEventId } from './event-id'
import { fromEventStoreDBMetadata, toEventStoreDBMetadata } from './metadata'

/**
 * The client's event for a prepared eventfold event of `streamId`: JSON data,
 * the event id passed through (see {@link toEventStoreDBEventId}) so that the
 * server's idempotency applies, every metadata field in the metadata JSON.
 */
export const toEventStoreDBEvent = (streamId: string, event: PreparedEvent): EsdbEventData =>
  jsonEvent({
    id: toEventStoreDBEventId(streamId, event.metadata.eventId),
    type: event.type,
    // The client writes `JSON.stringify(data)`: any JSON value works, not only the objects its type names.
    data: event.data as JSONType,
    metadata: toEventStoreDBMetadata(event.metadata),
  })

/** True for events EventStoreDB writes for itself: system streams (`$…`) and system event types (`$…`, links `$>`). */
export const isSystemEvent = (e: { readonly streamId: string; readonly type: string }): boolean =>
  e.streamId.startsWith('$') || e.type.startsWith('$')

/** True when the stored metadata is eventfold's own: the adapter always writes `eventId` and `schemaVersion`. */
const writtenByEventfold = (metadata: unknown): boolean =>
  metadata !== null &&
  typeof metadata === 'object' &&
  typeof (metadata as Record<string, unknown>).eventId === 'string' &&
  Number.isSafeInteger((metadata as Record<string, unknown>).schemaVersion)

/**
 * The data of a recorded event: the client has parsed JSON events already;
 * binary events from other writers are accepted when their bytes are JSON.
 * The client hands back the text of a JSON event whose bytes do not parse,
 * which looks like a JSON string value: a string is taken as data only from
 * events eventfold wrote (a top-level JSON string from another writer cannot
 * be told from malformed bytes, and is refused too).
 * @throws {@link SerializationError} for bytes that are not JSON.
 */
const dataOf = (e: EsdbRecordedEvent): unknown => {
  if (e.isJson) {
    if (typeof e.data === 'string' && !writtenByEventfold(e.metadata)) {
      throw new SerializationError(`stored payload of ${e.streamId}@${e.revision} is marked JSON but is not JSON`, 'data', e.type)
    }
    return e.data
  }
  const bytes = e.data as Uint8Array
  if (bytes.length === 0) return null
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch (cause) {
    throw new SerializationError(`stored payload of ${e.streamId}@${e.revision} is binary, not JSON`, 'data', e.type, { cause })
  }
}

/** The eventfold recorded event for one the client read, at `position` (already encoded). */
export const fromEventStoreDBEvent = (e: EsdbRecordedEvent, position: bigint): RecordedEvent => ({
  type: e.type,
  data: dataOf(e),
  metadata: fromEventStoreDBMetadata(e.metadata, { id: e.id, created: e.created }),
  streamId: e.streamId,
  revision: e.revision,
  position,
})
