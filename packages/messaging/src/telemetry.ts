import { SpanKind } from '@opentelemetry/api'
import type { RecordedEvent } from '@eventfold/core'
import { formatTraceparent, hasTrace, inSpan, lazyInstruments, parentContext, tracerOf } from '@eventfold/core/spi'
import type { IntegrationEnvelope } from './envelope/envelope'
import type { PartitionLag } from './transport/transport'

// The spans of @eventfold/messaging, in one place: a producer span per message the relay publishes, a consumer span per message handled.

const tracer = tracerOf('@eventfold/messaging')

/** Consumer groups running in this process, each with how to ask the broker for its lag. */
const groups = new Map<object, { group: string; lag: () => Promise<readonly PartitionLag[]> }>()

const instruments = lazyInstruments('@eventfold/messaging', (meter) => {
  const lag = meter.createObservableGauge('eventfold.consumer.lag.messages', {
    description: 'Messages published and not yet acknowledged by the consumer group, per topic partition',
  })
  lag.addCallback(async (result) => {
    for (const { group, lag: ask } of groups.values()) {
      for (const p of await ask().catch(() => [])) result.observe(Number(p.lag), { 'messaging.consumer.group.name': group, 'messaging.destination.name': p.topic, 'messaging.destination.partition.id': String(p.partition) })
    }
  })
  return { lag }
})

/** A consumer group runs: its lag, as the broker tells it, is reported at each collection until the returned function is called. */
export const watchConsumerLag = (worker: object, group: string, lag: () => Promise<readonly PartitionLag[]>): (() => void) => {
  instruments()
  groups.set(worker, { group, lag })
  return () => groups.delete(worker)
}

/**
 * The envelope with the trace context of a producer span `create <topic>`,
 * child of the trace its domain event carries: a receiver's span is then the
 * child of the message, not of the command. A span the SDK sampled out is
 * carried too, so receivers keep the decision. Without an SDK the envelope
 * is returned as it is, carrying the event's `traceparent` on.
 */
export const traceOutgoing = (topic: string, envelope: IntegrationEnvelope, event: RecordedEvent): IntegrationEnvelope => {
  const span = tracer().startSpan(
    `create ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.operation.type': 'create',
        'messaging.destination.name': topic,
        'messaging.message.id': envelope.id,
        'eventfold.event.type': envelope.type,
        'eventfold.stream.id': event.streamId,
        'eventfold.position': event.position.toString(),
      },
    },
    parentContext(event.metadata.traceparent),
  )
  span.end()
  if (!hasTrace(span)) return envelope
  return { ...envelope, traceparent: formatTraceparent(span.spanContext()) }
}

/**
 * Runs a consumer's handler in a span `process <type>`, child of the
 * message's `traceparent` and the active span while it runs, so the
 * commands it executes continue the producer's trace.
 */
export const traceConsume = <R>(consumer: string, topic: string, envelope: IntegrationEnvelope, handle: () => Promise<R>): Promise<R> =>
  inSpan(tracer(), `process ${envelope.type}`, () => handle(), {
    kind: SpanKind.CONSUMER,
    parent: parentContext(envelope.traceparent),
    attributes: {
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': consumer,
      'messaging.message.id': envelope.id,
      'eventfold.event.type': envelope.type,
    },
  })
