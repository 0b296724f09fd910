/**
 * A deadline as stored: one per `scope` (the saga instance or aggregate
 * stream that scheduled it) and `name`. Scheduling the same name again in a
 * scope replaces it, with a new `id`.
 */
export interface Deadline {
  /** Unique to this scheduling: a delivery carries it, so a receiver can dedupe a redelivery by it. */
  readonly id: string
  /** Who scheduled it, e.g. `Order-42`; what `cancel` is scoped by. */
  readonly scope: string
  /** The deadline's name, which selects the handler it is delivered to. */
  readonly name: string
  /** When it is due, in epoch milliseconds. */
  readonly dueAt: number
  /** What the handler gets: JSON data. */
  readonly payload: unknown
  /** When it was scheduled, in epoch milliseconds. */
  readonly scheduledAt: number
  /** `pending` until delivered; `fired` once delivered; `parked` when its handler kept failing. */
  readonly state: DeadlineState
  /** The worker that holds (or last held) it, while a delivery is under way. */
  readonly owner: string | undefined
  /** Until when `owner` may deliver it, in epoch milliseconds; 0 when nobody holds it. */
  readonly leaseUntil: number
  /** When it was delivered (`fired`) or parked. */
  readonly settledAt: number | undefined
  /** The handler's last error, for a parked deadline. */
  readonly error: string | undefined
}

/** Where a deadline is in its life. */
export type DeadlineState = 'pending' | 'fired' | 'parked'

/** What {@link DeadlineStore.schedule} stores. */
export interface DeadlineInput {
  readonly id: string
  readonly scope: string
  readonly name: string
  readonly dueAt: number
  readonly payload: unknown
  readonly scheduledAt: number
}

/**
 * A deadline a worker claimed: it alone may deliver it until `leaseUntil`,
 * and only the holder of `token` can mark it fired (a fencing token: a
 * worker that lost its lease cannot settle a deadline another worker holds).
 */
export interface ClaimedDeadline extends Deadline {
  readonly token: number
}

/** When a deadline falls due: at a moment, or after a delay from now. */
export type DeadlineWhen = { readonly at: Date | number } | { readonly after: number }
