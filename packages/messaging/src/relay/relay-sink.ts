import { isPermanentStoreError, type RecordedEvent } from '@eventfold/core'
import { LeaseLostError, type DocumentStore, type Partition } from '@eventfold/projections'
import type { BatchAttempt, EngineSink, LeaseFence, OpenBatch } from '@eventfold/projections/engine'
import { inPartition, type CommitRequest, type DocumentWrite } from '@eventfold/projections/spi'
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
  private checkpoint: bigint | undefined

  constructor(
    private readonly options: RelaySinkOptions,
    checkpoint: bigint | undefined,
  ) {
    this.checkpoint = checkpoint
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
    await this.send({ writes: parked, checkpoint: { name: this.options.checkpoint, position: open.last.position } })
    this.moved(open.last.position, count)
    return { writes: count, parked: parked.length }
  }

  /** Moves the checkpoint to where the source scanned when the events there were not this relay's. */
  async idle(beforeCommit: () => Promise<void>): Promise<void> {
    const scanned = this.options.scanned()
    if (scanned === undefined || (this.checkpoint !== undefined && scanned <= this.checkpoint)) return
    await beforeCommit()
    try {
      await this.send({ writes: [], checkpoint: { name: this.options.checkpoint, position: scanned } })
    } catch (error) {
      if (error instanceof LeaseLostError || isPermanentStoreError(error)) throw error
      // Nothing depends on it: the next idle moment tries again.
      this.options.onError(error)
      return
    }
    this.moved(scanned, 0)
  }

  private moved(position: bigint, published: number): void {
    this.checkpoint = position
    this.options.onCheckpoint(position, published)
  }

  private send(request: CommitRequest): Promise<unknown> {
    const { documents, fence } = this.options
    return fence.commit((renewal) => documents.commit({ ...request, fence: renewal }))
  }

  /** Writes for the events parked, skipping those a redone batch parked already. */
  private async parkWrites(parked: readonly ParkedEvent[]): Promise<DocumentWrite[]> {
    if (parked.length === 0) return []
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
    const existing = await documents.getMany(RELAY_PARKED_COLLECTION, writes.map((w) => (w.kind === 'put' ? w.doc._id : w.id)))
    return writes.filter((w) => w.kind === 'put' && !existing.has(w.doc._id))
  }
}
