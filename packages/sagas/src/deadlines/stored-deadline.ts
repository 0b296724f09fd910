import type { ClaimedDeadline, Deadline, DeadlineState } from './deadline'

/**
 * A deadline as a store reads it back, a field per property: absent values
 * as `null`, and numbers as text where the driver gives big integers so
 * (PostgreSQL's `int8`). SQL stores select their columns under these names.
 */
export interface StoredDeadline {
  readonly scope: string
  readonly name: string
  readonly id: string
  readonly dueAt: number | string
  readonly payload: unknown
  readonly scheduledAt: number | string
  readonly state: DeadlineState
  readonly token: number | string
  readonly owner: string | null
  readonly leaseUntil: number | string
  readonly settledAt: number | string | null
  readonly error: string | null
}

/** The deadline `row` stands for; `payload` is the row's payload decoded, when the store keeps it as text. */
export const deadlineOf = (row: StoredDeadline, payload: unknown = row.payload): Deadline => ({
  id: row.id,
  scope: row.scope,
  name: row.name,
  dueAt: Number(row.dueAt),
  payload,
  scheduledAt: Number(row.scheduledAt),
  state: row.state,
  owner: row.owner ?? undefined,
  leaseUntil: Number(row.leaseUntil),
  settledAt: row.settledAt === null ? undefined : Number(row.settledAt),
  error: row.error ?? undefined,
})

/** The claims of rows a claim returned, earliest due first (a store returns them in no promised order). */
export const claimsOf = (rows: readonly StoredDeadline[], decode: (payload: unknown) => unknown = (p) => p): ClaimedDeadline[] =>
  rows.map((row) => ({ ...deadlineOf(row, decode(row.payload)), token: Number(row.token) })).sort((a, b) => a.dueAt - b.dueAt)
