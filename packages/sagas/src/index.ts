// The application API: deadlines, the worker that fires them, and clocks.
// What a store implementation needs is in `@eventfold/sagas/spi`.
export type { Deadline, DeadlineState, DeadlineWhen } from './deadlines/deadline'
export type { DeadlineStore, ListDeadlinesOptions } from './deadlines/deadline-store'
export { InMemoryDeadlineStore } from './deadlines/in-memory-deadline-store'
export { Deadlines, type DeadlinesOptions, type ScopedDeadlines } from './deadlines/deadlines'
export { DeadlineWorker, type DeadlineWorkerOptions, type DeadlineWorkerCounters, type DeadlineDelivery, type DeadlineHandler } from './deadlines/deadline-worker'
export { commandTarget } from './deadlines/command-target'
export { systemClock, type Clock } from './clock/clock'
export { InvalidDeadlineError, isInvalidDeadlineError } from './errors'
export { traceSagaStep } from './telemetry'
