import { SpanKind } from '@opentelemetry/api'
import { inSpan, lazyInstruments, parentContext, tracerOf } from '@eventfold/core/spi'
import type { Clock } from './clock/clock'
import type { DeadlineStore } from './deadlines/deadline-store'

// The spans and metrics of @eventfold/sagas, in one place.

const tracer = tracerOf('@eventfold/sagas')

/** Most due deadlines one observation counts; past it the gauge says at least this many. */
const MAX_COUNTED = 10_000

/** Deadline stores with a worker running now, for the due-deadlines gauge. */
const watched = new Map<object, { store: DeadlineStore; clock: Clock }>()

const instruments = lazyInstruments('@eventfold/sagas', (meter) => {
  const due = meter.createObservableGauge('eventfold.deadlines.due', { description: 'Pending deadlines that are due now, per running deadline worker' })
  due.addCallback(async (result) => {
    for (const { store, clock } of watched.values()) {
      result.observe((await store.list({ dueBy: clock.now(), state: 'pending', limit: MAX_COUNTED })).length)
    }
  })
  return { due }
})

/** A deadline worker runs on `store`: its due deadlines are reported until it stops. */
export const watchDueDeadlines = (worker: object, store: DeadlineStore, clock: Clock): (() => void) => {
  instruments()
  watched.set(worker, { store, clock })
  return () => watched.delete(worker)
}

/** Runs a deadline's handler in a span `deadline <name>`. */
export const traceDeadlineFire = <R>(name: string, scope: string, fire: () => Promise<R>): Promise<R> =>
  inSpan(tracer(), `deadline ${name}`, () => fire(), { attributes: { 'eventfold.deadline.name': name, 'eventfold.deadline.scope': scope } })

/**
 * Runs one step of a saga (its reaction to an event or a deadline) in a
 * span `saga <saga> <step>`, child of the active span or of the
 * `traceparent` the triggering event carries; commands the step executes
 * are children of it.
 * @example
 * ```ts
 * await traceSagaStep('checkout', 'PaymentFailed', event.metadata.traceparent, () => saga.handle(event))
 * ```
 */
export const traceSagaStep = <R>(saga: string, step: string, traceparent: unknown, run: () => Promise<R>): Promise<R> =>
  inSpan(tracer(), `saga ${saga} ${step}`, () => run(), {
    kind: SpanKind.INTERNAL,
    parent: parentContext(traceparent),
    attributes: { 'eventfold.saga.name': saga, 'eventfold.saga.step': step },
  })
