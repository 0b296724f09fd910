// For authors of deadline stores: the port's argument and result shapes.
export type { ClaimedDeadline, DeadlineInput } from './deadlines/deadline'
export type { ClaimOptions, SettleOutcome } from './deadlines/deadline-store'
export { type StoredDeadline, deadlineOf, claimsOf } from './deadlines/stored-deadline'
