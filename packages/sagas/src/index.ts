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
export { Saga, StartSaga, SagaEventHandler, EndSaga, SagaDeadlineHandler, type AssociateOptions } from './sagas/decorators'
export { type SagaContext, type SagaMessage, type SagaCommand, type SendOptions } from './sagas/saga-message'
export { type SagaDefinition, type SagaRoute, type Reaction, type ProcessManagerOptions, defineProcessManager } from './sagas/saga-definition'
export { type SagaInstance, type SagaStatus, type SagaHistoryEntry, type OutboxEntry, sagaDeadlineScope } from './sagas/saga-instance'
export { Sagas, type SagasOptions, type SagaOutcome, type ListSagasOptions, type SagaBatch, type SendRetryOptions } from './sagas/sagas'
export { type CommandSender, localCommands, dedupeSagaCommands } from './sagas/command-senders'
export {
  UndecoratedSagaError,
  isUndecoratedSagaError,
  SagaConcurrencyError,
  isSagaConcurrencyError,
  SagaNotFoundError,
  isSagaNotFoundError,
  NoCommandRouteError,
  InvalidSagaCommandError,
} from './errors'
export { SagaWorker, type SagaWorkerOptions } from './sagas/saga-worker'
export { transportCommands, type TransportCommandsOptions } from './sagas/transport-commands'
export { sagaConsumerHandlers, sagaMessageOf } from './sagas/consumer-handlers'
export { traceSagaStep, observeActiveSagas, type ActiveSagasCounter } from './telemetry'
