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

/** Something that counts active saga instances per saga name (a `Sagas` runtime). */
export interface ActiveSagasCounter {
  countActive(): Promise<ReadonlyMap<string, number>>
}

/** Saga runtimes whose active instances are reported, each until its watcher stops. */
const watchedSagas = new Map<object, ActiveSagasCounter>()

const instruments = lazyInstruments('@eventfold/sagas', (meter) => {
  const due = meter.createObservableGauge('eventfold.deadlines.due', { description: 'Pending deadlines that are due now, per running deadline worker' })
  due.addCallback(async (result) => {
    for (const { store, clock } of watched.values()) {
      result.observe((await store.list({ dueBy: clock.now(), state: 'pending', limit: MAX_COUNTED })).length)
    }
  })
  const active = meter.createObservableGauge('eventfold.sagas.active', { description: 'Saga instances that have not ended, per saga name' })
  active.addCallback(async (result) => {
    // Two watchers of one store would report the same saga twice: each name once, the first watcher's count.
    const seen = new Set<string>()
    for (const counter of watchedSagas.values()) {
      for (const [saga, count] of await counter.countActive()) {
        if (seen.has(saga)) continue
        seen.add(saga)
        result.observe(count, { saga })
      }
    }
  })
  return { due, active }
})

/** A deadline worker runs on `store`: its due deadlines are reported until it stops. */
export const watchDueDeadlines = (worker: object, store: DeadlineStore, clock: Clock): (() => void) => {
  instruments()
  watched.set(worker, { store, clock })
  return () => watched.delete(worker)
}

/**
 * Reports the active (not ended) instances of `sagas` per saga name, as the
 * observable gauge `eventfold.sagas.active` (attribute `saga`), read from
 * its store at each collection, until the returned function is called. A
 * `SagaWorker` does this while it runs; a tool that only reads can too.
 * @example
 * ```ts
 * const stop = observeActiveSagas(new Sagas({ documents, sagas: [] }))
 * ```
 */
export const observeActiveSagas = (sagas: ActiveSagasCounter, owner: object = sagas): (() => void) => {
  instruments()
  watchedSagas.set(owner, sagas)
  return () => watchedSagas.delete(owner)
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
