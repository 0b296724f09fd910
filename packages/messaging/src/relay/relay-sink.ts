import type { RecordedEvent } from '@eventfold/core'
import { LeaseLostError, type DocumentStore, type Partition } from '@eventfold/projections'
import { PartitionCheckpoint, withoutStored, type BatchAttempt, type EngineSink, type LeaseFence, type OpenBatch } from '@eventfold/projections/engine'
import { inPartition, type DocumentWrite } from '@eventfold/projections/spi'
import { encodeEnvelope } from '../envelope/codec'
import type { Publications } from '../publishing/publications'
import type { Transport, TransportMessage } from '../transport/transport'
import { RELAY_PARKED_COLLECTION, parkedId } from './relay-names'
import { traceOutgoing } from '../telemetry'

interface ParkedEvent {
  readonly event: RecordedEvent
  readonly error: unknown
  readonly attempts: number
}

/** One try at a batch: the encoded messages per topic, in log order. */
export class RelayAttempt implements BatchAttempt<RecordedEvent> {
  readonly messages = new Map<string, TransportMessage[]>()
  readonly parked: ParkedEvent[] = []
  /** Set once the batch's messages are on the broker, so that a retried checkpoint does not publish them again. */
  published = false

  constructor(
    private readonly publications: Publications,
    private readonly partition: Partition,
  ) {}

  accepts(event: RecordedEvent): boolean {
    return this.publications.publishes(event.type) && inPartition(event, this.partition, 'stream')
  }

  apply(event: RecordedEvent): void {
    const { topic, envelope } = this.publications.outgoing(event)!
    // Encoding here, not at commit, makes a mapping that returns something JSON cannot hold fail (and park) its own event.
    const message = encodeEnvelope(traceOutgoing(topic, envelope, event))
    const list = this.messages.get(topic)
    if (list) list.push(message)
    else this.messages.set(topic, [message])
  }

  park(event: RecordedEvent, error: unknown, attempts: number): void {
    this.parked.push({ event, error, attempts })
  }

  async settle(): Promise<void> {}

  lastWriterOf(): bigint | undefined {
    return undefined
  }
}

/** Options of {@link RelaySink}. */
export interface RelaySinkOptions {
  readonly relay: string
  readonly partition: Partition
  readonly partitionKey: string
  readonly publications: Publications
  readonly transport: Transport
  readonly documents: DocumentStore
  readonly checkpoint: string
  readonly fence: LeaseFence
  readonly scanned: () => bigint | undefined
  readonly onCheckpoint: (position: bigint, published: number) => void
  readonly onError: (error: unknown) => void
}

/**
 * A relay partition as a worker's sink: publishes the batch's messages,
 * then stores the checkpoint (and the events parked) fenced by the lease.
 * A crash between the two publishes the batch again: at-least-once, with
 * the domain event's id as each message's dedupe key.
 */
export class RelaySink implements EngineSink<RecordedEvent, RelayAttempt> {
  // A failed checkpoint is stored again on its own: the attempt remembers that its messages were published.
  readonly atomic = true
  private readonly checkpoint: PartitionCheckpoint

  constructor(
    private readonly options: RelaySinkOptions,
    checkpoint: bigint | undefined,
  ) {
    const { documents, fence, scanned, onError } = options
    this.checkpoint = new PartitionCheckpoint({ documents, name: options.checkpoint, fence, scanned, onError }, checkpoint)
  }

  begin(): RelayAttempt {
    return new RelayAttempt(this.options.publications, this.options.partition)
  }

  async commit(attempt: RelayAttempt, open: OpenBatch<RecordedEvent>): Promise<{ writes: number; parked: number }> {
    const { transport } = this.options
    let count = 0
    for (const messages of attempt.messages.values()) count += messages.length
    if (!attempt.published) {
      // A relay that lost its partition would publish what the new owner publishes too.
      if (this.options.fence.lost) throw new LeaseLostError(this.options.fence.held.key, this.options.fence.held.owner)
      await Promise.all([...attempt.messages].map(([topic, messages]) => transport.publish(topic, messages)))
      attempt.published = true
    }
    const parked = await this.parkWrites(attempt.parked)
    await this.checkpoint.commit(parked, open.last.position)
    this.checkpoint.moved(open.last.position)
    this.options.onCheckpoint(open.last.position, count)
    return { writes: count, parked: parked.length }
  }

  /** Moves the checkpoint to where the source scanned when the events there were not this relay's. */
  async idle(beforeCommit: () => Promise<void>): Promise<void> {
    const moved = await this.checkpoint.idle(beforeCommit)
    if (moved !== undefined) this.options.onCheckpoint(moved, 0)
  }

  /** Writes for the events parked, skipping those a redone batch parked already. */
  private parkWrites(parked: readonly ParkedEvent[]): Promise<DocumentWrite[]> {
    const { relay, partitionKey, documents } = this.options
    const writes: DocumentWrite[] = parked.map(({ event, error, attempts }) => ({
      kind: 'put',
      collection: RELAY_PARKED_COLLECTION,
      doc: {
        _id: parkedId(relay, event.position),
        relay,
        partition: partitionKey,
        type: event.type,
        streamId: event.streamId,
        revision: event.revision.toString(),
        position: event.position.toString(),
        eventId: event.metadata.eventId,
        error: (error as Error)?.message ?? String(error),
        attempts,
        parkedAt: new Date().toISOString(),
      },
      meta: { revision: 1, positions: {} },
      expectedRevision: 0,
    }))
    return withoutStored(documents, RELAY_PARKED_COLLECTION, writes)
  }
}
