import type { RecordedEvent } from '@eventfold/core'
import type { IntegrationEnvelope } from '../envelope/envelope'
import { InvalidPublicationError } from '../errors'
import type { TopicSpec } from '../transport/transport'
import type { Publication } from './publication'
import { validTraceparent } from './traceparent'

/** Options of {@link definePublications}. */
export interface PublicationsOptions {
  /** The producing service's name, the `source` of every envelope. */
  readonly source: string
  /** The domain events this service publishes, each made by `publish`. Any other event is never published. */
  readonly publications: readonly Publication[]
  /**
   * Settings of the topics the publications use (partitions, retention,
   * compaction); a topic not listed is declared with the transport's defaults.
   * @default []
   */
  readonly topics?: readonly TopicSpec[]
}

/** An integration event ready to publish: its topic and envelope. */
export interface Outgoing {
  readonly topic: string
  readonly envelope: IntegrationEnvelope
}

/**
 * What a service publishes: the chosen domain event types, how each is
 * mapped, and the topics they go to. Made by {@link definePublications}.
 */
export class Publications {
  readonly source: string
  /** The domain event types published: what the relay reads from the log. */
  readonly eventTypes: readonly string[]
  /** Every topic published to, declared once when a relay starts. */
  readonly topics: readonly TopicSpec[]
  private readonly byType: ReadonlyMap<string, Publication>

  /** @internal use {@link definePublications} */
  constructor({ source, publications, topics = [] }: PublicationsOptions) {
    const byType = new Map<string, Publication>()
    for (const p of publications) {
      if (byType.has(p.eventType)) throw new InvalidPublicationError(p.eventType, 'it is chosen twice')
      byType.set(p.eventType, p)
    }
    if (typeof source !== 'string' || source.trim() === '') throw new InvalidPublicationError(publications[0]?.eventType ?? '(none)', 'the source service name is empty')
    const declared = new Map(topics.map((t) => [t.name, t]))
    for (const p of publications) if (!declared.has(p.topic)) declared.set(p.topic, { name: p.topic })
    this.source = source
    this.byType = byType
    this.eventTypes = [...byType.keys()]
    this.topics = [...declared.values()]
  }

  /** True when `eventType` is published. */
  publishes(eventType: string): boolean {
    return this.byType.has(eventType)
  }

  /**
   * The integration event of a recorded domain event; `undefined` for an
   * event type that is not published.
   * @throws what the publication's `map` throws.
   */
  outgoing(event: RecordedEvent): Outgoing | undefined {
    const p = this.byType.get(event.type)
    if (!p) return undefined
    const { metadata } = event
    const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)
    const envelope: IntegrationEnvelope = {
      // The domain event's id: a republished event carries the same id, so receivers dedupe by it.
      id: metadata.eventId,
      type: p.type,
      source: this.source,
      streamId: event.streamId,
      revision: event.revision,
      position: event.position,
      occurredAt: metadata.occurredAt,
      correlationId: text(metadata.correlationId),
      causationId: text(metadata.causationId),
      traceparent: validTraceparent(metadata.traceparent),
      payload: p.payload,
      data: p.map(event),
    }
    return { topic: p.topic, envelope }
  }
}

/**
 * Declares what a service publishes. Nothing is published by default: only
 * the domain event types chosen with `publish`, each mapped to its own
 * published contract.
 * @throws {@link InvalidPublicationError} for an empty source or a domain event type chosen twice.
 */
export const definePublications = (options: PublicationsOptions): Publications => new Publications(options)
