import type { Document } from '@eventfold/projections'
import type { DocumentWrite, StoredDocument } from '@eventfold/projections/spi'
import type { Delivery } from '../transport/transport'

/** Collection of the inbox: one record per message a consumer handled (applied, or parked and so moved past). */
export const INBOX_COLLECTION = '_ef_inbox'
/** Collection of the parked messages of every consumer of the store. */
export const PARKED_COLLECTION = '_ef_parked'

/** The inbox record's id: a message id is unique per consumer, not per store. */
export const recordId = (consumer: string, messageId: string): string => `${consumer}/${messageId}`

/** A message a consumer gave up on after its last attempt, kept in the consumer's own store with the error. */
export interface ParkedMessage {
  readonly consumer: string
  /** The message id (the integration event's id). */
  readonly id: string
  /** The integration event type (`ef-type`), when the message had one. */
  readonly eventType: string | undefined
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: string
  readonly headers: Readonly<Record<string, string>>
  readonly value: Uint8Array | null
  /** The last error's message, and its `type` when it was an eventfold error. */
  readonly error: { readonly message: string; readonly type?: string }
  readonly attempts: number
  /** ISO-8601 time it was parked. */
  readonly parkedAt: string
}

/** The write that records `messageId` as handled by `consumer`; it must not exist yet, so a concurrent handling of the same message conflicts. */
export const inboxWrite = (consumer: string, messageId: string): DocumentWrite => ({
  kind: 'put',
  collection: INBOX_COLLECTION,
  doc: { _id: recordId(consumer, messageId), consumer, at: new Date().toISOString() },
  meta: { revision: 1, positions: {} },
  expectedRevision: 0,
})

/** The write that parks `delivery` for `consumer`. */
export const parkedWrite = (consumer: string, delivery: Delivery, error: unknown, attempts: number): DocumentWrite => {
  const e = error as { message?: unknown; type?: unknown } | undefined
  const doc: Document = {
    _id: recordId(consumer, delivery.id),
    consumer,
    messageId: delivery.id,
    eventType: delivery.headers['ef-type'] ?? null,
    topic: delivery.topic,
    partition: delivery.partition,
    offset: delivery.offset.toString(),
    key: delivery.key,
    // A list, not an object: a header name may hold characters no document field name may ('.', a leading '$').
    headers: Object.entries(delivery.headers).map(([name, value]) => ({ name, value })),
    value: delivery.value === null ? null : Buffer.from(delivery.value).toString('base64'),
    error: { message: typeof e?.message === 'string' ? e.message : String(error), ...(typeof e?.type === 'string' ? { type: e.type } : {}) },
    attempts,
    parkedAt: new Date().toISOString(),
  }
  return { kind: 'put', collection: PARKED_COLLECTION, doc, meta: { revision: 1, positions: {} }, expectedRevision: 0 }
}

/** The write that removes a parked message, refused when someone else retried or discarded it first. */
export const unparkWrite = (stored: StoredDocument): DocumentWrite => ({
  kind: 'delete',
  collection: PARKED_COLLECTION,
  id: stored.doc._id,
  expectedRevision: stored.meta.revision,
})

/** A parked message from its stored document. */
export const parkedFromDocument = (doc: Document): ParkedMessage => {
  const d = doc as Record<string, unknown>
  return {
    consumer: d.consumer as string,
    id: d.messageId as string,
    eventType: (d.eventType as string | null) ?? undefined,
    topic: d.topic as string,
    partition: d.partition as number,
    offset: BigInt(d.offset as string),
    key: d.key as string,
    headers: Object.fromEntries((d.headers as { name: string; value: string }[]).map((h) => [h.name, h.value])),
    value: d.value === null ? null : new Uint8Array(Buffer.from(d.value as string, 'base64')),
    error: d.error as ParkedMessage['error'],
    attempts: d.attempts as number,
    parkedAt: d.parkedAt as string,
  }
}

/** The delivery a parked message came from, to hand to its handler again. */
export const deliveryOfParked = (p: ParkedMessage): Delivery => ({
  id: p.id,
  key: p.key,
  headers: p.headers,
  value: p.value,
  topic: p.topic,
  partition: p.partition,
  offset: p.offset,
  redelivered: true,
})
