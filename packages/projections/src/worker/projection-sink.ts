import type { EventRegistry, RecordedEvent } from '@eventfold/core'
import { DEAD_LETTER_COLLECTION, parkWrite } from '../dead-letters/dead-letters'
import { DocumentBatch } from '../documents/document-batch'
import type { DocumentStore, DocumentWrite } from '../documents/document-store'
import type { Documents } from '../documents/documents'
import type { ProjectionDefinition } from '../projection/projection-definition'
import type { BatchAttempt, EngineSink, OpenBatch } from './engine'
import type { LeaseFence } from './leases'
import { PartitionCheckpoint, withoutStored } from './partition-checkpoint'
import { inPartition, type Partition } from '../projection/partition'

interface ParkedEvent {
  readonly event: RecordedEvent
  readonly error: unknown
  readonly attempts: number
}

/** One try at a batch of one partition: the handlers' operations, coalesced per document. */
export class ProjectionAttempt implements BatchAttempt<RecordedEvent> {
  readonly parked: ParkedEvent[] = []
  /** The writes of the commit, once sent. */
  writes: DocumentWrite[] = []
  private readonly view: Documents

  constructor(
    readonly batch: DocumentBatch,
    private readonly projection: ProjectionDefinition,
    private readonly partition: Partition,
    private readonly registry: EventRegistry,
  ) {
    this.view = batch.documents()
  }

  accepts(event: RecordedEvent): boolean {
    return inPartition(event, this.partition, this.projection.partitionBy)
  }

  apply(event: RecordedEvent): Promise<void> | void {
    this.batch.setPosition(event.position)
    return this.projection.handle(this.registry.upcast(event), this.view)
  }

  park(event: RecordedEvent, error: unknown, attempts: number): void {
    this.parked.push({ event, error, attempts })
  }

  settle(): Promise<void> {
    return this.batch.settle()
  }

  lastWriterOf(collection: string, id: string): bigint | undefined {
    return this.batch.lastPositionOf(collection, id)
  }
}

/** Options of {@link ProjectionSink}. */
export interface ProjectionSinkOptions {
  readonly documents: DocumentStore
  readonly projection: ProjectionDefinition
  readonly partition: Partition
  /** The partition's key in bookkeeping and dead letters, e.g. `'0/4'`. */
  readonly key: string
  readonly generation: number
  readonly resolve: (logical: string) => string
  readonly registry: EventRegistry
  /** The checkpoint's name. */
  readonly checkpoint: string
  readonly fence: LeaseFence | undefined
  /** Documents kept from one batch to the next. */
  readonly keepDocuments: number
  /** The batch of the last commit, holding documents kept for the next one. */
  readonly kept: DocumentBatch | undefined
  /** After each commit (of a batch, or of an idle checkpoint), with the new checkpoint. */
  readonly onCheckpoint: (position: bigint) => void
  /** Told about an idle checkpoint that could not be stored. */
  readonly onError: (error: unknown) => void
  /** Where the source has scanned to, every event up to it delivered. */
  readonly scanned: () => bigint | undefined
}

/**
 * A projection partition as a worker's sink: the document batch, the dead
 * letters of the events parked, and the checkpoint, in one commit (renewing
 * the lease when fenced).
 */
export class ProjectionSink implements EngineSink<RecordedEvent, ProjectionAttempt> {
  readonly atomic: boolean
  /** The batch of the last commit, holding the documents kept for the next one. */
  kept: DocumentBatch | undefined
  private readonly checkpoint: PartitionCheckpoint

  constructor(
    private readonly options: ProjectionSinkOptions,
    checkpoint: bigint | undefined,
  ) {
    this.atomic = options.documents.capabilities.transactions
    this.kept = options.kept
    const { documents, fence, scanned, onError } = options
    this.checkpoint = new PartitionCheckpoint({ documents, name: options.checkpoint, fence, scanned, onError }, checkpoint)
  }

  begin(first: boolean): ProjectionAttempt {
    const { documents, resolve, key, projection, partition, registry } = this.options
    const batch = (first && this.kept) || new DocumentBatch(documents, resolve, key, projection.collections[0]!)
    this.kept = undefined
    return new ProjectionAttempt(batch, projection, partition, registry)
  }

  async commit(attempt: ProjectionAttempt, open: OpenBatch<RecordedEvent>): Promise<{ writes: number; parked: number }> {
    const writes = await attempt.batch.collectWrites()
    const parkWrites = await this.parkWrites(attempt.parked)
    const result = await this.checkpoint.commit([...writes, ...parkWrites], open.last.position)
    attempt.writes = writes
    return { writes: result.writes, parked: parkWrites.length }
  }

  async committed(attempt: ProjectionAttempt, open: OpenBatch<RecordedEvent>): Promise<void> {
    const keep = this.options.keepDocuments
    if (keep > 0) {
      attempt.batch.committed(attempt.writes, keep)
      this.kept = attempt.batch
    }
    this.checkpoint.moved(open.last.position)
    this.options.onCheckpoint(open.last.position)
  }

  /** Stores a checkpoint with no writes when the events up to where the source scanned were not this projection's. */
  async idle(beforeCommit: () => Promise<void>): Promise<void> {
    const moved = await this.checkpoint.idle(beforeCommit)
    if (moved !== undefined) this.options.onCheckpoint(moved)
  }

  /** Park writes for events not parked yet (a redone batch may have parked them already). */
  private parkWrites(parked: readonly ParkedEvent[]): Promise<DocumentWrite[]> {
    const { projection, documents, key, generation } = this.options
    const writes = parked.map((p) => {
      const w = parkWrite(projection.name, key, generation, p.event, p.error, p.attempts)
      // Deterministic id: the same event parked twice is one dead letter.
      const id = `${projection.name}@${generation}:${p.event.position}`
      return w.kind === 'put' ? { ...w, doc: { ...w.doc, _id: id } } : w
    })
    return withoutStored(documents, DEAD_LETTER_COLLECTION, writes)
  }
}
