import { isPermanentStoreError, type EventRegistry, type RecordedEvent } from '@eventfold/core'
import { DEAD_LETTER_COLLECTION, parkWrite } from '../dead-letters/dead-letters'
import { DocumentBatch } from '../documents/document-batch'
import type { DocumentStore, DocumentWrite } from '../documents/document-store'
import type { Documents } from '../documents/documents'
import type { ProjectionDefinition } from '../projection/projection-definition'
import type { BatchAttempt, EngineSink, OpenBatch } from './engine'
import { LeaseLostError, type LeaseFence } from './leases'
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
  private checkpoint: bigint | undefined

  constructor(
    private readonly options: ProjectionSinkOptions,
    checkpoint: bigint | undefined,
  ) {
    this.atomic = options.documents.capabilities.transactions
    this.kept = options.kept
    this.checkpoint = checkpoint
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
    const request = { writes: [...writes, ...parkWrites], checkpoint: { name: this.options.checkpoint, position: open.last.position } }
    const result = await this.send(request)
    attempt.writes = writes
    return { writes: result.writes, parked: parkWrites.length }
  }

  async committed(attempt: ProjectionAttempt, open: OpenBatch<RecordedEvent>): Promise<void> {
    const keep = this.options.keepDocuments
    if (keep > 0) {
      attempt.batch.committed(attempt.writes, keep)
      this.kept = attempt.batch
    }
    this.moved(open.last.position)
  }

  /** Stores a checkpoint with no writes when the events up to where the source scanned were not this projection's. */
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
    this.moved(scanned)
  }

  private moved(position: bigint): void {
    this.checkpoint = position
    this.options.onCheckpoint(position)
  }

  private send(request: { writes: DocumentWrite[]; checkpoint: { name: string; position: bigint } }): Promise<{ writes: number }> {
    const { documents, fence } = this.options
    return fence ? fence.commit((renewal) => documents.commit({ ...request, fence: renewal })) : documents.commit(request)
  }

  /** Park writes for events not parked yet (a redone batch may have parked them already). */
  private async parkWrites(parked: readonly ParkedEvent[]): Promise<DocumentWrite[]> {
    if (parked.length === 0) return []
    const { projection, documents, key, generation } = this.options
    const writes = parked.map((p) => {
      const w = parkWrite(projection.name, key, generation, p.event, p.error, p.attempts)
      // Deterministic id: the same event parked twice is one dead letter.
      const id = `${projection.name}@${generation}:${p.event.position}`
      return w.kind === 'put' ? { ...w, doc: { ...w.doc, _id: id } } : w
    })
    const existing = await documents.getMany(DEAD_LETTER_COLLECTION, writes.map((w) => (w.kind === 'put' ? w.doc._id : w.id)))
    return writes.filter((w) => w.kind === 'put' && !existing.has(w.doc._id))
  }
}
