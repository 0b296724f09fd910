import { createHash } from 'node:crypto'
import { ValidationError } from '@eventfold/core'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const NIL_UUID = '00000000-0000-0000-0000-000000000000'

/**
 * Namespace of the name-based ids below (RFC 4122 §4.3), fixed forever: an
 * event id must map to the same EventStoreDB id in every process and version.
 */
const NAMESPACE = Buffer.from('6f1c3b0e8a9d4c2e9b7f5a3d1e0c2b4a', 'hex')

/**
 * The EventStoreDB event id for an eventfold event id in a stream.
 * EventStoreDB ids are UUIDs and carry its idempotency: a UUID is used as it
 * is (lower-cased, the form the server returns); any other string gets a
 * name-based UUID (version 5, SHA-1) of the stream and the id, so the same
 * event of the same stream always maps to the same server id (a retried
 * append stays idempotent), while an application id reused in another stream
 * (`cmd-1:0`) does not: persistent subscriptions track and acknowledge
 * messages by event id, and two events with one id would be confused there.
 * The original id is kept in the event's metadata and read back from there.
 * @example toEventStoreDBEventId('Order-42', 'cmd-7:0') // a stable UUID such as '3b0c…'
 * @throws {@link ValidationError} for the all-zero UUID, which the server refuses as an event id.
 */
export const toEventStoreDBEventId = (streamId: string, eventId: string): string => {
  if (eventId === NIL_UUID) {
    throw new ValidationError(`Invalid event id for '${streamId}'`, [{ path: 'metadata.eventId', message: 'the all-zero UUID is not an EventStoreDB event id' }])
  }
  if (UUID.test(eventId)) return eventId.toLowerCase()
  // The stream's length first, so that no two (stream, id) pairs make the same name.
  const hash = createHash('sha1').update(NAMESPACE).update(`${streamId.length}:${streamId}`, 'utf8').update(eventId, 'utf8').digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** True for a UUID in its canonical 8-4-4-4-12 form (any case). */
export const isUuid = (value: string): boolean => UUID.test(value)
