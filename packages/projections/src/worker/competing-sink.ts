import type { EventRegistry, RecordedEvent } from '@eventfold/core'
import { DocumentBatch } from '../documents/document-batch'
import type { DocumentStore } from '../documents/document-store'
import type { ProjectionDefinition } from '../projection/projection-definition'
import type { CompetingDelivery } from './competing-consumer-source'
import type { BatchAttempt, EngineSink, OpenBatch } from './engine'
import { StreamMarkers } from './stream-markers'

interface Parking {
  readonly delivery: CompetingDelivery
  readonly error: unknown
  readonly attempts: number
}

/**
 * One try at a batch of deliveries: the stream markers of its streams, read
 * fresh, and the handlers' operations on fresh reads of the documents.
 */
export class CompetingAttempt implements BatchAttempt<CompetingDelivery> {
  /** Deliveries parked in this attempt, by position (one that another consumer applied meanwhile is acknowledged instead). */
  readonly parking = new Map<bigint, Parking>()
  private markers: StreamMarkers | undefined

  constructor(
    readonly batch: DocumentBatch,
    private readonly options: CompetingSinkOptions,
  ) {}

  async prepare(deliveries: readonly CompetingDelivery[]): Promise<void> {
    const { documents, markerCollection } = this.options
    const streams = deliveries.filter((d) => this.handles(d.event)).map((d) => d.event.streamId)
    this.markers = await StreamMarkers.load(documents, markerCollection, streams)
  }

  accepts({ event }: CompetingDelivery): boolean {
    return this.handles(event) && this.markers!.isPending(event)
  }

  async apply({ event }: CompetingDelivery): Promise<void> {
    const { projection, registry } = this.options
    this.batch.setPosition(event.position)
    await projection.handle(registry.upcast(event), this.batch.documents())
    this.markers!.applied(event)
  }

  park(delivery: CompetingDelivery, error: unknown, attempts: number): void {
    this.markers!.parked(delivery.event)
    this.parking.set(delivery.event.position, { delivery, error, attempts })
  }

  settle(): Promise<void> {
    return this.batch.settle()
  }

  lastWriterOf(collection: string, id: string): bigint | undefined {
    return this.batch.lastPositionOf(collection, id)
  }

  get markerWrites() {
    return this.markers?.writes() ?? []
  }

  private handles(event: RecordedEvent): boolean {
    return this.options.handled.has(event.type)
  }
}

/** Options of {@link CompetingSink}. */
export interface CompetingSinkOptions {
  readonly documents: DocumentStore
  readonly projection: ProjectionDefinition
  readonly registry: EventRegistry
  /** The event types the projection handles; deliveries of others are acknowledged without applying. */
  readonly handled: ReadonlySet<string>
  readonly resolve: (logical: string) => string
  readonly markerCollection: string
  /** The consumer group's name, the documents' bookkeeping key. */
  readonly group: string
}

/**
 * A projection as a competing consumer's sink: the document batch and the
 * stream markers in one transaction, then each delivery acknowledged (or
 * parked through the group).
 */
export class CompetingSink implements EngineSink<CompetingDelivery, CompetingAttempt> {
  /** Competing consumers run on stores with transactions only. */
  readonly atomic = true

  constructor(private readonly options: CompetingSinkOptions) {}

  begin(): CompetingAttempt {
    const { documents, resolve, group, projection } = this.options
    return new CompetingAttempt(new DocumentBatch(documents, resolve, `competing:${group}`, projection.collections[0]!, { trackPositions: false }), this.options)
  }

  async commit(attempt: CompetingAttempt): Promise<{ writes: number; parked: number }> {
    const writes = [...(await attempt.batch.collectWrites()), ...attempt.markerWrites]
    const written = writes.length > 0 ? (await this.options.documents.commit({ writes })).writes : 0
    return { writes: written, parked: attempt.parking.size }
  }

  /** Only now: a worker that dies before this has its deliveries sent again, and the markers skip what it committed. */
  async committed(attempt: CompetingAttempt, batch: OpenBatch<CompetingDelivery>): Promise<void> {
    await Promise.all(
      batch.items!.map((d) => {
        const p = attempt.parking.get(d.event.position)
        return p?.delivery === d ? d.park(p.error, p.attempts) : d.ack()
      }),
    )
  }
}
