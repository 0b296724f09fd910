import type { EventMetadata } from '@eventfold/core'

/**
 * The metadata property names EventStoreDB's own tooling reads (the
 * `$by_correlation_id` projection, the UI). They mirror `correlationId` and
 * `causationId`, are written only when those are set and are removed again
 * on read, so a round trip gives back exactly what was written.
 */
export const ESDB_CORRELATION_ID = '$correlationId'
export const ESDB_CAUSATION_ID = '$causationId'

/** The metadata JSON stored with an event: every eventfold field, plus the EventStoreDB mirrors. */
export const toEventStoreDBMetadata = (metadata: EventMetadata): Record<string, unknown> => {
  const stored: Record<string, unknown> = { ...metadata }
  if (typeof metadata.correlationId === 'string' && !(ESDB_CORRELATION_ID in metadata)) {
    stored[ESDB_CORRELATION_ID] = metadata.correlationId
  }
  if (typeof metadata.causationId === 'string' && !(ESDB_CAUSATION_ID in metadata)) {
    stored[ESDB_CAUSATION_ID] = metadata.causationId
  }
  return stored
}

/** What a recorded event's metadata falls back to when another writer left fields out. */
export interface MetadataFallback {
  /** The EventStoreDB event id. */
  readonly id: string
  /** When the server recorded the event. */
  readonly created: Date
}

/**
 * eventfold metadata from what EventStoreDB returned: the stored JSON object
 * (the client parses it; anything else, e.g. bytes from another writer, is
 * ignored), without the mirrors, with `eventId`, `occurredAt` and
 * `schemaVersion` filled from the record when missing.
 */
export const fromEventStoreDBMetadata = (stored: unknown, fallback: MetadataFallback): EventMetadata => {
  const fields: Record<string, unknown> =
    stored !== null && typeof stored === 'object' && !Array.isArray(stored) && !(stored instanceof Uint8Array)
      ? { ...(stored as Record<string, unknown>) }
      : {}
  if (fields[ESDB_CORRELATION_ID] === fields.correlationId && fields.correlationId !== undefined) delete fields[ESDB_CORRELATION_ID]
  if (fields[ESDB_CAUSATION_ID] === fields.causationId && fields.causationId !== undefined) delete fields[ESDB_CAUSATION_ID]
  const created = Number.isNaN(fallback.created.getTime()) ? new Date(0) : fallback.created
  return {
    ...fields,
    eventId: typeof fields.eventId === 'string' ? fields.eventId : fallback.id,
    occurredAt: typeof fields.occurredAt === 'string' ? fields.occurredAt : created.toISOString(),
    schemaVersion: Number.isSafeInteger(fields.schemaVersion) && (fields.schemaVersion as number) >= 1 ? (fields.schemaVersion as number) : 1,
  }
}
