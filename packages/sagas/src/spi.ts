// For authors of deadline stores: the port's argument and result shapes.
export type { ClaimedDeadline, DeadlineInput } from './deadlines/deadline'
export type { ClaimOptions, SettleOutcome } from './deadlines/deadline-store'
export { type StoredDeadline, deadlineOf, claimsOf } from './deadlines/stored-deadline'
// Where a saga worker parks the events it could not handle, for tools that list them.
export { parkedSagaEventsCollection } from './sagas/saga-worker'
