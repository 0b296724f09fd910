import { createEventfold, type Eventfold, type EventStore, type RetryOptions, type SnapshotStore } from '@eventfold/core'
import { Account } from './domain/account'

/** Options of {@link createBankApp}. */
export interface BankAppOptions {
  readonly eventStore: EventStore
  readonly snapshotStore?: SnapshotStore
  /** Retry commands that lose a concurrency race; `false` turns it off. @default { maxAttempts: 10 } */
  readonly retry?: RetryOptions | false
}

/** Wires the bank: one aggregate on the given stores. */
export const createBankApp = ({ eventStore, snapshotStore, retry = { maxAttempts: 10 } }: BankAppOptions): Eventfold =>
  createEventfold({
    eventStore,
    ...(snapshotStore ? { snapshotStore } : {}),
    aggregates: [Account],
    retry,
  })
