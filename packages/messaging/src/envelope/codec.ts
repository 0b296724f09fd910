import { MalformedMessageError } from '../errors'
import type { Delivery, TransportMessage } from '../transport/transport'
import type { IntegrationEnvelope } from './envelope'

// Identifiers travel as headers so brokers, tools and consumers can route and
// dedupe without parsing the value; the value is the data as UTF-8 JSON.
const H = {
  id: 'ef-id',
  type: 'ef-type',
  source: 'ef-source',
  stream: 'ef-stream',
  revision: 'ef-revision',
  position: 'ef-position',
  occurredAt: 'ef-occurred-at',
  correlationId: 'ef-correlation-id',
  causationId: 'ef-causation-id',
  payload: 'ef-payload',
  traceparent: 'traceparent',
  contentType: 'content-type',
} as const

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** The message that carries `envelope`, keyed by its stream so per-stream order survives. */
export const encodeEnvelope = (envelope: IntegrationEnvelope): TransportMessage => {
  const headers: Record<string, string> = {
    [H.id]: envelope.id,
    [H.type]: envelope.type,
    [H.source]: envelope.source,
    [H.stream]: envelope.streamId,
    [H.revision]: envelope.revision.toString(),
    [H.position]: envelope.position.toString(),
    [H.occurredAt]: envelope.occurredAt,
    [H.payload]: envelope.payload,
    [H.contentType]: 'application/json',
  }
  if (envelope.correlationId !== undefined) headers[H.correlationId] = envelope.correlationId
  if (envelope.causationId !== undefined) headers[H.causationId] = envelope.causationId
  if (envelope.traceparent !== undefined) headers[H.traceparent] = envelope.traceparent
  return { id: envelope.id, key: envelope.streamId, headers, value: encoder.encode(JSON.stringify(envelope.data ?? null)) }
}

/**
 * The envelope a delivery carries.
 * @throws {@link MalformedMessageError} naming the delivery's topic, partition and offset.
 */
export const decodeEnvelope = (delivery: Delivery): IntegrationEnvelope => {
  const bad = (reason: string): MalformedMessageError =>
    new MalformedMessageError(delivery.topic, delivery.partition, delivery.offset, reason)
  const required = (name: string): string => {
    const value = delivery.headers[name]
    if (value === undefined || value === '') throw bad(`header '${name}' is missing`)
    return value
  }
  const integer = (name: string): bigint => {
    const text = required(name)
    if (!/^(0|[1-9][0-9]*)$/.test(text)) throw bad(`header '${name}' is not a non-negative integer: ${JSON.stringify(text)}`)
    return BigInt(text)
  }
  const payload = required(H.payload)
  if (payload !== 'full' && payload !== 'reference') throw bad(`header '${H.payload}' is ${JSON.stringify(payload)}, expected 'full' or 'reference'`)
  if (delivery.value === null) throw bad('the value is a tombstone, not an integration event')
  let data: unknown
  try {
    data = JSON.parse(decoder.decode(delivery.value))
  } catch (error) {
    throw bad(`the value is not UTF-8 JSON (${(error as Error).message})`)
  }
  const optional = (name: string): string | undefined => delivery.headers[name] || undefined
  return {
    id: required(H.id),
    type: required(H.type),
    source: required(H.source),
    streamId: required(H.stream),
    revision: integer(H.revision),
    position: integer(H.position),
    occurredAt: required(H.occurredAt),
    correlationId: optional(H.correlationId),
    causationId: optional(H.causationId),
    traceparent: optional(H.traceparent),
    payload,
    data,
  }
}
