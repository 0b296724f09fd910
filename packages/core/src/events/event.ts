/**
 * Metadata every recorded event carries. Writers may set any field; stores
 * fill `eventId`, `occurredAt` and `schemaVersion` when they are missing.
 */
export interface EventMetadata {
  /** Unique id of the event; appending the same ids again is idempotent. */
  readonly eventId: string
  /** Id shared by everything caused by one original request. */
  readonly correlationId?: string
  /** Id of the command or event that directly caused this one. */
  readonly causationId?: string
  /** ISO-8601 instant the event was created. */
  readonly occurredAt: string
  /** Version of the event's data schema; see upcasting. */
  readonly schemaVersion: number
  /** User fields. Must be JSON-representable. */
  readonly [key: string]: unknown
}

/** An event to write: a fact with a stable type name. */
export interface EventData<Data = unknown> {
  readonly type: string
  readonly data: Data
  readonly metadata?: Partial<EventMetadata>
}

/** An event as read back from a store. */
export interface RecordedEvent<Data = unknown> {
  readonly type: string
  readonly data: Data
  readonly metadata: EventMetadata
  readonly streamId: string
  /** 0-based position of the event in its stream. */
  readonly revision: bigint
  /** Global position in the log: totally ordered, strictly increasing in the order readers see events. */
  readonly position: bigint
}
