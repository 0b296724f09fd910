import { DEAD_LETTER_REASON_HEADER, type Delivery, type TransportMessage } from '@eventfold/messaging/spi'
import type { ConsumeMessage, Options } from 'amqplib'

// Headers this transport adds: AMQP has no message key and no offset, and an
// empty body cannot tell a tombstone from an empty value.
export const HEADERS = {
  key: 'ef-key',
  offset: 'ef-offset',
  tombstone: 'ef-tombstone',
  deadLetterReason: DEAD_LETTER_REASON_HEADER,
  deadLetterTopic: 'ef-dead-letter-topic',
  deadLetterPartition: 'ef-dead-letter-partition',
} as const

const OWN = new Set<string>([HEADERS.key, HEADERS.offset, HEADERS.tombstone])

/** The body and properties that carry `message` at `offset`: persistent, its id as the AMQP message id. */
export const toAmqp = (message: TransportMessage, offset: bigint): { content: Buffer; options: Options.Publish } => {
  const headers: Record<string, string> = { ...message.headers, [HEADERS.key]: message.key, [HEADERS.offset]: offset.toString() }
  if (message.value === null) headers[HEADERS.tombstone] = 'true'
  const content = message.value === null ? Buffer.alloc(0) : Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength)
  return { content, options: { persistent: true, messageId: message.id, headers } }
}

const text = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value))

/** The delivery a consumed message is, from partition `partition` of `topic`. */
export const fromAmqp = (message: ConsumeMessage, topic: string, partition: number): Delivery => {
  const raw = message.properties.headers ?? {}
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (!OWN.has(name) && value !== undefined && value !== null) headers[name] = text(value)
  }
  const offset = raw[HEADERS.offset]
  return {
    id: message.properties.messageId === undefined ? '' : text(message.properties.messageId),
    key: raw[HEADERS.key] === undefined ? '' : text(raw[HEADERS.key]),
    headers,
    value: raw[HEADERS.tombstone] === undefined ? new Uint8Array(message.content) : null,
    topic,
    partition,
    offset: offset !== undefined && /^[0-9]+$/.test(text(offset)) ? BigInt(text(offset)) : 0n,
    redelivered: message.fields.redelivered,
  }
}

/** The message that parks `delivery` with the reason, keeping its key, offset and headers. */
export const toDeadLetter = (delivery: Delivery, reason: string): { content: Buffer; options: Options.Publish } => {
  const { content, options } = toAmqp(delivery, delivery.offset)
  return {
    content,
    options: {
      ...options,
      headers: {
        ...options.headers,
        [HEADERS.deadLetterReason]: reason,
        [HEADERS.deadLetterTopic]: delivery.topic,
        [HEADERS.deadLetterPartition]: String(delivery.partition),
      },
    },
  }
}
