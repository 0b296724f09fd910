import type { ClaimedDeadline, Deadline, DeadlineInput, DeadlineState } from './deadline'

/** Options of {@link DeadlineStore.claimDue}. */
export interface ClaimOptions {
  /** The claiming worker, stored as the deadline's owner. */
  readonly owner: string
  /** How long the claim holds, in milliseconds from `now`. */
  readonly leaseMs: number
  /** At most this many deadlines. */
  readonly limit: number
  /** Only deadlines with these names (the ones the worker has handlers for). */
  readonly names: readonly string[]
}

/** Options of {@link DeadlineStore.list}. */
export interface ListDeadlinesOptions {
  /** Only pending deadlines due at or before this moment (epoch ms). @default every deadline */
  readonly dueBy?: number
  /** Only deadlines in this state. @default every state */
  readonly state?: DeadlineState
  /** Only the deadlines of this scope (an aggregate's stream, a saga instance). @default every scope */
  readonly scope?: string
  /** At most this many, earliest due first. @default 1000 */
  readonly limit?: number
}

/**
 * Where deadlines are kept: in the application's own store (SQLite,
 * PostgreSQL, MongoDB), so that they survive restarts and several deadline
 * workers can share them. Every implementation passes
 * `deadlineStoreContract` from `@eventfold/sagas/testing`.
 *
 * Claims are atomic on the server: two workers never hold the same deadline
 * at once, and each claim increments the deadline's fencing token.
 */
export interface DeadlineStore {
  /** Stores `deadline` as pending, replacing any deadline of the same scope and name (pending, fired or parked). */
  schedule(deadline: DeadlineInput): Promise<void>
  /**
   * Removes the pending deadline `name` of `scope`.
   * @returns true when one was removed; false when there was none, or it had fired or was parked.
   */
  cancel(scope: string, name: string): Promise<boolean>
  /**
   * Claims up to `limit` pending deadlines due at `now` whose lease is free or
   * expired, earliest due first, leasing them to `owner` until `now + leaseMs`.
   */
  claimDue(now: number, options: ClaimOptions): Promise<ClaimedDeadline[]>
  /**
   * Settles a claimed deadline as `fired` or `parked` (with `error`), if the
   * claim still holds it: same id, same token, still pending.
   * @returns false when the claim was lost (another worker claimed it since, or it was cancelled or replaced).
   */
  settle(claim: Pick<ClaimedDeadline, 'scope' | 'name' | 'id' | 'token'>, outcome: SettleOutcome): Promise<boolean>
  /** When the earliest pending deadline with one of `names` may be claimed (due and its lease free), or undefined when none is pending. */
  nextDueAt(names: readonly string[]): Promise<number | undefined>
  /** Deadlines, earliest due first. */
  list(options?: ListDeadlinesOptions): Promise<Deadline[]>
}

/** How a delivery ended, for {@link DeadlineStore.settle}. */
export type SettleOutcome = { readonly state: 'fired'; readonly at: number } | { readonly state: 'parked'; readonly at: number; readonly error: string }
