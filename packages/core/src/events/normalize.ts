import { randomUUID } from 'node:crypto'
import type { EventData, EventMetadata } from './event'
import { assertJsonSafe } from './json'
import { ValidationError } from '../errors/errors'

/** An event ready to be stored: metadata complete, payload checked. */
export interface PreparedEvent {
  readonly type: string
  readonly data: unknown
  readonly metadata: EventMetadata
}

/**
 * Completes metadata (event id, occurredAt, schemaVersion) and checks that the
 * event can be stored. Every store calls this before writing, so a bad event
 * is refused before anything of the batch is written.
 * @throws {@link ValidationError} for a missing type or a non-object event.
 * @throws {@link SerializationError} for a payload JSON cannot represent.
 */
export const prepareEvents = (streamId: string, events: readonly EventData[]): PreparedEvent[] => {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new ValidationError('Stream id must be a non-empty string')
  }
  if (!Array.isArray(events)) throw new ValidationError(`Events for '${streamId}' must be an array`)
  const now = new Date().toISOString()
  return events.map((e, i) => {
    if (e === null || typeof e !== 'object' || typeof e.type !== 'string' || e.type.length === 0) {
      throw new ValidationError(`Event #${i} for '${streamId}' needs a non-empty string 'type'`, [
        { path: `[${i}].type`, message: 'required' },
      ])
    }
    assertJsonSafe(e.data, 'data', e.type)
    assertJsonSafe(e.metadata, 'metadata', e.type)
    const m = e.metadata ?? {}
    const schemaVersion = m.schemaVersion ?? 1
    if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
      throw new ValidationError(`Event '${e.type}' has an invalid schemaVersion`, [
        { path: 'metadata.schemaVersion', message: 'must be a positive integer' },
      ])
    }
    const metadata: EventMetadata = {
      ...m,
      eventId: m.eventId ?? randomUUID(),
      occurredAt: m.occurredAt ?? now,
      schemaVersion,
    }
    // Deep copy through JSON so later mutation by the caller cannot change what was stored.
    return { type: e.type, data: JSON.parse(JSON.stringify(e.data ?? null)), metadata }
  })
}
