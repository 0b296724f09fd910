import { SpanKind, type Attributes, type Link, type Span } from '@opentelemetry/api'
import { failSpan, lazyInstruments, logger, parseTraceparent, tracerOf } from '@eventfold/core/spi'
import type { EngineCounters } from './counters'

// The spans and metrics of every worker on the engine, in one place: a span per batch, counters per commit, lag per live worker.

/** What names a worker in its spans and metrics. */
export interface WorkerLabels {
  /** The kind of worker: `projection`, `relay`, `consumer`, `deadlines`, … */
  readonly kind: string
  /** The projection, relay, consumer group or store it works for. */
  readonly name: string
  /** `'<index>/<count>'` for a partitioned worker. @default none */
  readonly partition?: string
}

/** What an item tells of the flow it belongs to: metadata fields, checked before use. */
export interface ItemTrace {
  readonly traceparent?: unknown
  readonly correlationId?: unknown
}

const tracer = tracerOf('@eventfold/projections')

/** Workers running now, each with its labels and counters, for the lag gauge. */
const live = new Map<object, { attributes: Attributes; counters: () => EngineCounters }>()

const instruments = lazyInstruments('@eventfold/projections', (meter) => {
  const lag = meter.createObservableGauge('eventfold.worker.lag.seconds', {
    description: 'Time from when the last committed event occurred to its commit, per worker',
    unit: 's',
  })
  lag.addCallback((result) => {
    for (const w of live.values()) result.observe(w.counters().lag / 1000, w.attributes)
  })
  return {
    lag,
    events: meter.createCounter('eventfold.worker.events', { description: 'Events applied and committed by a worker' }),
    parked: meter.createCounter('eventfold.worker.parked', { description: 'Events or messages parked after their last attempt' }),
    retries: meter.createCounter('eventfold.worker.retries', { description: 'Failed attempts tried again (handler, refused write, outage)' }),
    conflicts: meter.createCounter('eventfold.worker.conflicts', { description: 'Batches redone after a concurrent write' }),
  }
})

const attributesOf = (labels: WorkerLabels): Attributes => ({
  'eventfold.worker.kind': labels.kind,
  'eventfold.worker.name': labels.name,
  ...(labels.partition !== undefined && { 'eventfold.worker.partition': labels.partition }),
})

/** Most links one batch span carries to the traces of its events. */
const MAX_LINKS = 32

/** The telemetry of one engine; `undefined` labels make it silent. */
export class EngineTelemetry {
  private readonly attributes: Attributes | undefined

  constructor(
    private readonly labels: WorkerLabels | undefined,
    private readonly counters: () => EngineCounters,
  ) {
    this.attributes = labels && attributesOf(labels)
  }

  /** The worker runs: its lag is reported until {@link stopped}. */
  started(): void {
    if (!this.attributes) return
    instruments()
    live.set(this, { attributes: this.attributes, counters: this.counters })
  }

  stopped(): void {
    live.delete(this)
  }

  /**
   * A span for a batch, opened with its first items; linked to the traces
   * their `traceparent` names (a batch has many parents, so links, not a parent).
   */
  batchOpened(items: readonly unknown[], traceOf: ((item: unknown) => ItemTrace | undefined) | undefined): Span | undefined {
    if (!this.labels) return undefined
    const span = tracer().startSpan(`${this.labels.kind} batch ${this.labels.name}`, { kind: SpanKind.CONSUMER, attributes: this.attributes }, undefined)
    if (!span.isRecording()) return undefined
    if (traceOf) {
      const links: Link[] = []
      for (const item of items) {
        if (links.length >= MAX_LINKS) break
        const context = parseTraceparent(traceOf(item)?.traceparent)
        if (context) links.push({ context })
      }
      if (links.length > 0) span.addLinks(links)
    }
    return span
  }

  /** Logs an item parked after its last attempt (the commit that parks it may still be redone). */
  parking(key: bigint, error: unknown, attempts: number, trace: ItemTrace | undefined): void {
    const { kind = 'worker', name = '', partition } = this.labels ?? {}
    const correlationId = typeof trace?.correlationId === 'string' ? trace.correlationId : undefined
    // The trace the parked item belongs to: the line is found beside that trace's spans.
    const traceId = parseTraceparent(trace?.traceparent)?.traceId
    logger().warn(
      {
        worker: kind,
        name,
        ...(partition !== undefined && { partition }),
        key: key.toString(),
        attempts,
        ...(correlationId !== undefined && { correlationId }),
        ...(traceId !== undefined && { trace_id: traceId }),
        err: error,
      },
      `${kind} ${name}: parking ${key} after ${attempts} attempts`,
    )
  }

  /** Ends the batch's span and counts what the commit did. */
  committed(span: Span | undefined, before: EngineCounters, after: EngineCounters): void {
    if (span) {
      span.setAttributes({ 'eventfold.events.read': after.eventsRead - before.eventsRead, 'eventfold.events.applied': after.eventsApplied - before.eventsApplied })
      span.end()
    }
    if (!this.attributes) return
    const i = instruments()
    if (after.eventsApplied > before.eventsApplied) i.events.add(after.eventsApplied - before.eventsApplied, this.attributes)
    if (after.parked > before.parked) i.parked.add(after.parked - before.parked, this.attributes)
    if (after.retries > before.retries) i.retries.add(after.retries - before.retries, this.attributes)
    if (after.conflicts > before.conflicts) i.conflicts.add(after.conflicts - before.conflicts, this.attributes)
  }

  /** Ends the span of a batch that was not committed (dropped, or the run failed). */
  abandoned(span: Span | undefined, error: unknown): void {
    if (!span) return
    if (error !== undefined) failSpan(span, error)
    span.end()
  }
}

