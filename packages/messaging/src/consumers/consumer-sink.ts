import { AggregateRepository, CommandBus, type EventStore, type AggregateClass, type AggregateDefinition, type CommandResult, type EventRegistry, type ExecuteOptions } from '@eventfold/core'
import { toAggregateDefinition } from '@eventfold/core/spi'
import { DocumentBatch, type BatchAttempt, type EngineSink, type OpenBatch } from '@eventfold/projections/engine'
import type { DocumentWrite, StoredDocument } from '@eventfold/projections/spi'
import { decodeEnvelope } from '../envelope/codec'
import type { IntegrationEnvelope } from '../envelope/envelope'
import { FetcherMissingError, InboxAppendUnsupportedError } from '../errors'
import { BufferedEventStore } from '../inbox/buffered-event-store'
import { INBOX_COLLECTION, inboxWrite, PARKED_COLLECTION, parkedWrite, recordId, unparkWrite } from '../inbox/inbox-records'
import type { InboxStore } from '../inbox/inbox-store'
import type { Delivery, Subscription } from '../transport/transport'
import type { ConsumerDefinition, Fetcher } from './consumer-definition'
import { traceConsume } from '../telemetry'

/** A delivery as the engine holds it: `seq` is its key for attempts and parking, unique in this worker. */
export interface ConsumerItem {
  readonly delivery: Delivery
  readonly seq: bigint
}

/** What the sink needs besides the consumer. */
export interface ConsumerSinkOptions {
  readonly consumer: ConsumerDefinition
  readonly inbox: InboxStore
  readonly aggregates: readonly (AggregateClass | AggregateDefinition)[]
  readonly registry: EventRegistry | undefined
  readonly fetchers: ReadonlyMap<string, Fetcher>
}

interface Parking {
  readonly delivery: Delivery
  readonly error: unknown
  readonly attempts: number
}

/**
 * A parked message retried by hand. Every attempt reads its record again:
 * a concurrent retry or discard may have removed it or parked it anew, and
 * a removal still expecting the record as first read would conflict on
 * every redo.
 */
export interface ParkedRetry {
  /** The record's id in the parked messages. */
  readonly recordId: string
  /** Set by each attempt: the record was gone (another retry or a discard removed it), so there is nothing to apply. */
  gone: boolean
}

/**
 * One try at a batch of deliveries: the inbox records read fresh, the
 * handlers' document operations and appends held until the commit.
 * With `retry`, the batch is the parked message retried by hand: it is in
 * the inbox already, and its commit removes it from the parked messages instead.
 */
export class ConsumerAttempt implements BatchAttempt<ConsumerItem> {
  readonly events: BufferedEventStore | undefined
  readonly applied: Delivery[] = []
  readonly parking: Parking[] = []
  private readonly inInbox = new Set<string>()
  private readonly parkedBefore = new Map<string, StoredDocument>()
  private readonly seen = new Set<string>()
  /** The engine knows items by `seq`; without transactions the batch knows them by offset. */
  private readonly seqOfPosition = new Map<bigint, bigint>()
  private readonly commands: CommandBus
  private batch: DocumentBatch | undefined
  private current: IntegrationEnvelope | undefined
  /** The parked record of `retry`, as this attempt read it. */
  private retrying: StoredDocument | undefined

  constructor(
    private readonly options: ConsumerSinkOptions,
    /** Whether the store commits atomically; without, documents are idempotent by the delivery's offset in its partition. */
    private readonly atomic: boolean,
    private readonly retry: ParkedRetry | undefined,
  ) {
    const { inbox, aggregates, registry } = options
    this.events = inbox.events && new BufferedEventStore(inbox.events)
    const attempt = this
    const bus = new (class extends CommandBus {
      override execute(command: object, execute: ExecuteOptions = {}): Promise<CommandResult> {
        const e = attempt.current
        // Events a command causes name the message as their cause, so a flow can be followed across services.
        // The message's trace goes on too, also where no tracing SDK runs to make a span of it.
        const metadata = e
          ? { correlationId: e.correlationId ?? e.id, causationId: e.id, ...(e.traceparent !== undefined && { traceparent: e.traceparent }), ...execute.metadata }
          : execute.metadata
        return super.execute(command, { ...execute, metadata })
      }
    })({ repository: new AggregateRepository(this.events ?? refusingStore(options.consumer.name), { registry }) })
    for (const a of aggregates) bus.register(toAggregateDefinition(a))
    this.commands = bus
  }

  async prepare(items: readonly ConsumerItem[]): Promise<void> {
    const { documents } = this.options.inbox
    const ids = items.map((i) => recordId(this.options.consumer.name, i.delivery.id))
    for (const id of (await documents.getMany(INBOX_COLLECTION, ids)).keys()) this.inInbox.add(id)
    // Without transactions a parked record may be stored before the inbox record: parking again overwrites it.
    if (!this.atomic) for (const [id, stored] of await documents.getMany(PARKED_COLLECTION, ids)) this.parkedBefore.set(id, stored)
    if (this.retry) {
      this.retrying = (await documents.getMany(PARKED_COLLECTION, [this.retry.recordId])).get(this.retry.recordId)
      this.retry.gone = this.retrying === undefined
    }
  }

  accepts({ delivery }: ConsumerItem): boolean {
    if (this.seen.has(delivery.id)) return false
    if (this.retry ? !this.retrying : this.inInbox.has(recordId(this.options.consumer.name, delivery.id))) return false
    const type = delivery.headers['ef-type']
    // A message without a type is malformed: it fails in `apply` and is parked; one of a type without a handler is not this consumer's.
    return type === undefined || this.options.consumer.handlers.has(type)
  }

  async apply({ delivery, seq }: ConsumerItem): Promise<void> {
    const { consumer, fetchers } = this.options
    const envelope = decodeEnvelope(delivery)
    const handler = consumer.handlers.get(envelope.type)!
    const batch = this.batchFor(delivery)
    batch.setPosition(this.atomic ? seq : delivery.offset)
    this.seqOfPosition.set(this.atomic ? seq : delivery.offset, seq)
    this.current = envelope
    try {
      await traceConsume(consumer.name, delivery.topic, envelope, async () =>
        handler(envelope, {
          commands: this.commands,
          documents: batch.documents(),
          fetch: () => {
            const fetcher = fetchers.get(envelope.type)
            if (!fetcher) return Promise.reject(new FetcherMissingError(consumer.name, envelope.type, envelope.id))
            return fetcher(envelope)
          },
        }),
      )
    } finally {
      this.current = undefined
    }
    this.seen.add(delivery.id)
    this.applied.push(delivery)
  }

  park(item: ConsumerItem, error: unknown, attempts: number): void {
    this.seen.add(item.delivery.id)
    this.parking.push({ delivery: item.delivery, error, attempts })
  }

  settle(): Promise<void> {
    return this.batch?.settle() ?? Promise.resolve()
  }

  lastWriterOf(collection: string, id: string): bigint | undefined {
    const position = this.batch?.lastPositionOf(collection, id)
    return position === undefined ? undefined : this.seqOfPosition.get(position)
  }

  /** Everything the commit stores: document writes, parked messages, then inbox records (last, for stores without transactions). */
  async writes(): Promise<{ effects: DocumentWrite[]; inbox: DocumentWrite[] }> {
    const { name } = this.options.consumer
    const effects = this.batch ? await this.batch.collectWrites() : []
    const inbox: DocumentWrite[] = []
    for (const p of this.parking) {
      const before = this.retrying ?? this.parkedBefore.get(recordId(name, p.delivery.id))
      const write = parkedWrite(name, p.delivery, p.error, p.attempts)
      effects.push(before && write.kind === 'put' ? { ...write, meta: { revision: before.meta.revision + 1, positions: {} }, expectedRevision: before.meta.revision } : write)
      if (!this.retry) inbox.push(inboxWrite(name, p.delivery.id))
    }
    for (const d of this.applied) {
      // A parked record stored without its inbox record (a crash between the two): the message is applied now, so it goes.
      const stale = this.retrying ?? this.parkedBefore.get(recordId(name, d.id))
      if (stale) effects.push(unparkWrite(stale))
      if (!this.retry) inbox.push(inboxWrite(name, d.id))
    }
    return { effects, inbox }
  }

  private batchFor(delivery: Delivery): DocumentBatch {
    const { inbox, consumer } = this.options
    if (this.batch) return this.batch
    // With transactions the inbox record guards the documents; without, each document keeps the last offset applied per partition (a retried message has a key of its own).
    const key = this.retry ? `retry:${consumer.name}/${delivery.id}` : `${consumer.name}:${delivery.topic}/${delivery.partition}`
    this.batch = new DocumentBatch(inbox.documents, identity, key, consumer.collection, { trackPositions: !this.atomic })
    return this.batch
  }
}

/**
 * A consumer's sink on the worker engine: a batch's effects, parked messages
 * and inbox records in one commit; then the deliveries acknowledged (parked
 * ones handed to the transport's dead-letter destination).
 */
export class ConsumerSink implements EngineSink<ConsumerItem, ConsumerAttempt> {
  readonly atomic: boolean

  constructor(
    private readonly options: ConsumerSinkOptions,
    private readonly subscription: Pick<Subscription, 'acknowledge' | 'deadLetter'> | undefined,
    private readonly retry?: ParkedRetry,
  ) {
    this.atomic = options.inbox.documents.capabilities.transactions
  }

  begin(): ConsumerAttempt {
    return new ConsumerAttempt(this.options, this.atomic, this.retry)
  }

  async commit(attempt: ConsumerAttempt): Promise<{ writes: number; parked: number }> {
    const { effects, inbox } = await attempt.writes()
    const appends = attempt.events?.appends ?? []
    if (this.atomic) {
      const writes = [...effects, ...inbox]
      if (writes.length > 0 || appends.length > 0) await this.options.inbox.commit({ writes, appends })
    } else {
      // Collections are written in parallel without transactions: the inbox records go in a commit of their own, after the effects.
      if (effects.length > 0 || appends.length > 0) await this.options.inbox.commit({ writes: effects, appends })
      if (inbox.length > 0) await this.options.inbox.commit({ writes: inbox, appends: [] })
    }
    return { writes: effects.length + inbox.length + appends.length, parked: attempt.parking.length }
  }

  /** Only now: a consumer that dies before this has its deliveries sent again, and the inbox skips what it committed. */
  async committed(attempt: ConsumerAttempt, batch: OpenBatch<ConsumerItem>): Promise<void> {
    if (!this.subscription) return
    const parked = new Set(attempt.parking.map((p) => p.delivery))
    for (const p of attempt.parking) await this.subscription.deadLetter(p.delivery, errorText(p.error))
    await this.subscription.acknowledge(batch.items!.map((i) => i.delivery).filter((d) => !parked.has(d)))
  }
}

const identity = (logical: string): string => logical

const errorText = (error: unknown): string => (error as Error)?.message ?? String(error)

/** The log of a consumer whose store holds documents only: a command fails, naming the stream it needed, before it decides anything. */
const refusingStore = (consumer: string): EventStore => {
  const refuse = (streamId?: string): never => {
    throw new InboxAppendUnsupportedError(consumer, streamId === undefined ? 'a command' : `a command on '${streamId}'`)
  }
  return {
    appendToStream: (streamId) => refuse(streamId),
    readStream: (streamId) => refuse(streamId),
    readAll: () => refuse(),
    subscribeToAll: () => refuse(),
    streamRevision: (streamId) => refuse(streamId),
    headPosition: () => refuse(),
    close: async () => {},
  }
}
