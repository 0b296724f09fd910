/**
 * What a service publishes about one of its events: a contract other
 * services read, never the domain event itself.
 */
export interface IntegrationEnvelope<D = unknown> {
  /** The domain event's id: the same event always carries the same id, so receivers dedupe by it. */
  readonly id: string
  /** The integration event's published type, versioned by name (e.g. `OrderPlaced.v1`). */
  readonly type: string
  /** The service that owns the event. */
  readonly source: string
  readonly streamId: string
  readonly revision: bigint
  readonly position: bigint
  /** ISO-8601 time the domain event happened. */
  readonly occurredAt: string
  readonly correlationId?: string
  readonly causationId?: string
  /** W3C trace context of the flow that produced the event. */
  readonly traceparent?: string
  /**
   * `'full'`: `data` is the payload. `'reference'` (zero-payload): `data`
   * holds identifiers only and the receiver fetches current state from the owner.
   */
  readonly payload: 'full' | 'reference'
  readonly data: D
}
