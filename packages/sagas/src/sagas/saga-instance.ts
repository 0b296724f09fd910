import type { Document } from '@eventfold/projections'
import type { SagaCommand } from './saga-message'

/** Where an instance is in its life. */
export type SagaStatus = 'active' | 'ended'

/** One handled message, in an instance's history. */
export interface SagaHistoryEntry {
  readonly step: number
  readonly messageId: string
  readonly type: string
  /** The flow the message belongs to (its `correlationId`, else its id): what the commands of this step carry. Absent on entries stored before it was recorded. */
  readonly correlationId?: string
  /** Epoch milliseconds. */
  readonly at: number
  /** Ids of the commands this step sent. */
  readonly sent: readonly string[]
  readonly scheduled: readonly string[]
  readonly cancelled: readonly string[]
}

/** What is still to be done after a step was stored: sent again after a crash, with the same ids. */
export type OutboxEntry =
  | { readonly kind: 'command'; readonly id: string; readonly command: SagaCommand }
  | { readonly kind: 'schedule'; readonly id: string; readonly name: string; readonly dueAt: number; readonly payload: unknown }
  | { readonly kind: 'cancel'; readonly id: string; readonly name: string }

/**
 * A saga instance as stored: one document, written with the revision it was
 * read at, so two writers of one instance cannot both win.
 */
export interface SagaInstance extends Document {
  readonly _id: string
  readonly saga: string
  readonly status: SagaStatus
  /** The saga's own state (JSON data). */
  readonly state: unknown
  /** `key=value` pairs that find this instance. */
  readonly associations: readonly string[]
  /** Messages handled so far; a step's command ids are derived from it. */
  readonly step: number
  /** Ids of the most recent messages handled, so a redelivery is recognised. */
  readonly handled: readonly string[]
  readonly history: readonly SagaHistoryEntry[]
  /** Compensating commands of the steps done, oldest first. */
  readonly compensations: readonly SagaCommand[]
  readonly outbox: readonly OutboxEntry[]
  /** Epoch milliseconds. */
  readonly startedAt: number
  readonly updatedAt: number
  readonly endedAt: number | null
}

/** The association value stored and looked up for `key` and `value`. */
export const associationOf = (key: string, value: string): string => `${key}=${value}`

/** The deadline scope of an instance: what its deadlines are scheduled and cancelled under. */
export const sagaDeadlineScope = (saga: string, sagaId: string): string => `Saga.${saga}-${sagaId}`

/** The instance id of a deadline scope, or `undefined` when the scope is not `saga`'s. */
export const sagaIdOfScope = (saga: string, scope: string): string | undefined => {
  const prefix = `Saga.${saga}-`
  return scope.startsWith(prefix) ? scope.slice(prefix.length) : undefined
}
