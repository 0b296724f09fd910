import { randomUUID } from 'node:crypto'
import type { RecordedEvent } from '@eventfold/core'
import type { Document } from '../documents/document'
import type { DocumentStore, DocumentWrite } from '../documents/document-store'
import { DEAD_LETTER_COLLECTION } from '../generations/projection-state'

export { DEAD_LETTER_COLLECTION }

/** An event a projection could not apply, parked with its error. */
export interface DeadLetter {
  readonly id: string
  readonly projection: string
  /** Partition that parked it, e.g. `'0/4'`. */
  readonly partition: string
  /** Generation of the read model it was parked from. */
  readonly generation: number
  readonly event: {
    readonly type: string
    readonly streamId: string
    readonly revision: string
    readonly position: string
    readonly data: unknown
    readonly metadata: Readonly<Record<string, unknown>>
  }
  readonly error: { readonly name: string; readonly message: string; readonly stack?: string }
  readonly attempts: number
  readonly parkedAt: string
}

/** Rebuilds the recorded event of a dead letter. */
export const deadLetterEvent = (d: DeadLetter): RecordedEvent => ({
  type: d.event.type,
  streamId: d.event.streamId,
  revision: BigInt(d.event.revision),
  position: BigInt(d.event.position),
  data: d.event.data,
  metadata: d.event.metadata as RecordedEvent['metadata'],
})

/**
 * The event's metadata, or `{}` when its stored text is not valid JSON
 * (stores parse metadata on first access): an event parked for exactly that
 * reason must still be parked, with the parse error as its error.
 */
const readableMetadata = (event: RecordedEvent): RecordedEvent['metadata'] => {
  try {
    return event.metadata
  } catch {
    return {} as RecordedEvent['metadata']
  }
}

/** A dead letter's error, as it is shown and stored. */
export const deadLetterError = (error: unknown): DeadLetter['error'] => {
  const e = error instanceof Error ? error : new Error(String(error))
  return { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) }
}

/**
 * The stored form of a dead letter. The event's data and metadata and the
 * error are kept as JSON text: a value a store refused in a read model (a
 * `$` key, a `\u0000`) must not make its dead letter refused as well.
 */
export const deadLetterDocument = ({ id, event, error, ...rest }: DeadLetter): Document => ({
  _id: id,
  ...rest,
  event: { type: event.type, streamId: event.streamId, revision: event.revision, position: event.position },
  eventData: JSON.stringify(event.data ?? null),
  eventMetadata: JSON.stringify(event.metadata),
  error: JSON.stringify(error),
})

/** Reads a dead letter from its stored form; one parked with its event and error as nested fields reads as it was stored. */
export const deadLetterFromDocument = (doc: Record<string, unknown>): DeadLetter => {
  const { _id, event, eventData, eventMetadata, error, ...rest } = doc as Record<string, unknown> & { event: DeadLetter['event'] }
  const text = (value: unknown, nested: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : nested)
  return {
    id: _id as string,
    ...(rest as Omit<DeadLetter, 'id' | 'event' | 'error'>),
    event: { ...event, data: text(eventData, event.data), metadata: text(eventMetadata, event.metadata) as DeadLetter['event']['metadata'] },
    error: text(error, error) as DeadLetter['error'],
  }
}

/** The write that parks `event`, to commit with the batch that skips it. */
export const parkWrite = (
  projection: string,
  partition: string,
  generation: number,
  event: RecordedEvent,
  error: unknown,
  attempts: number,
): DocumentWrite => ({
  kind: 'put',
  collection: DEAD_LETTER_COLLECTION,
  doc: deadLetterDocument({
    id: randomUUID(),
    projection,
    partition,
    generation,
    event: {
      type: event.type,
      streamId: event.streamId,
      revision: event.revision.toString(),
      position: event.position.toString(),
      data: event.data,
      metadata: readableMetadata(event),
    },
    error: deadLetterError(error),
    attempts,
    parkedAt: new Date().toISOString(),
  }),
  meta: { revision: 1, positions: {} },
  expectedRevision: 0,
})

/** Reads the dead letters of a document store. */
export class DeadLetters {
  constructor(private readonly store: DocumentStore) {}

  async list(projection?: string): Promise<DeadLetter[]> {
    const docs = await this.store.find(DEAD_LETTER_COLLECTION, projection ? { projection } : {}, { sort: { parkedAt: 1 } })
    return docs.map((d) => deadLetterFromDocument(d))
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const d = await this.store.get(DEAD_LETTER_COLLECTION, id)
    return d && deadLetterFromDocument(d)
  }

  /** Removes a dead letter without applying it. Returns false when it did not exist. */
  async discard(id: string): Promise<boolean> {
    const found = await this.store.getMany(DEAD_LETTER_COLLECTION, [id])
    const s = found.get(id)
    if (!s) return false
    await this.store.commit({ writes: [{ kind: 'delete', collection: DEAD_LETTER_COLLECTION, id, expectedRevision: s.meta.revision }] })
    return true
  }
}
