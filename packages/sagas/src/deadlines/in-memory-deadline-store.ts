import { toJson, fromJson } from '@eventfold/core/spi'
import type { ClaimedDeadline, Deadline, DeadlineInput } from './deadline'
import type { ClaimOptions, DeadlineStore, ListDeadlinesOptions, SettleOutcome } from './deadline-store'

interface Row {
  deadline: Deadline
  token: number
}

const keyOf = (scope: string, name: string): string => JSON.stringify([scope, name])

/** Earliest moment a pending deadline may be claimed: when it is due and nobody's lease holds it. */
const claimableAt = (d: Pick<Deadline, 'dueAt' | 'leaseUntil'>): number => Math.max(d.dueAt, d.leaseUntil)

/**
 * The reference {@link DeadlineStore}, in memory: for tests and a single
 * process. Payloads are stored as JSON text, as the other stores do, so a
 * payload that cannot be stored fails here too.
 */
export class InMemoryDeadlineStore implements DeadlineStore {
  private readonly rows = new Map<string, Row>()

  async schedule(input: DeadlineInput): Promise<void> {
    const payload = fromJson(toJson(input.payload, 'payload'), 'payload')
    const key = keyOf(input.scope, input.name)
    const token = this.rows.get(key)?.token ?? 0
    this.rows.set(key, {
      token,
      deadline: { ...input, payload, state: 'pending', owner: undefined, leaseUntil: 0, settledAt: undefined, error: undefined },
    })
  }

  async cancel(scope: string, name: string): Promise<boolean> {
    const key = keyOf(scope, name)
    if (this.rows.get(key)?.deadline.state !== 'pending') return false
    return this.rows.delete(key)
  }

  async claimDue(now: number, { owner, leaseMs, limit, names }: ClaimOptions): Promise<ClaimedDeadline[]> {
    const due = [...this.rows.values()]
      .filter(({ deadline: d }) => d.state === 'pending' && names.includes(d.name) && d.dueAt <= now && d.leaseUntil <= now)
      .sort((a, b) => a.deadline.dueAt - b.deadline.dueAt)
      .slice(0, limit)
    return due.map((row) => {
      row.token++
      row.deadline = { ...row.deadline, owner, leaseUntil: now + leaseMs }
      return { ...row.deadline, token: row.token }
    })
  }

  async settle(claim: Pick<ClaimedDeadline, 'scope' | 'name' | 'id' | 'token'>, outcome: SettleOutcome): Promise<boolean> {
    const row = this.rows.get(keyOf(claim.scope, claim.name))
    if (!row || row.deadline.id !== claim.id || row.token !== claim.token || row.deadline.state !== 'pending') return false
    row.deadline = {
      ...row.deadline,
      state: outcome.state,
      leaseUntil: 0,
      settledAt: outcome.at,
      error: outcome.state === 'parked' ? outcome.error : undefined,
    }
    return true
  }

  async nextDueAt(names: readonly string[]): Promise<number | undefined> {
    let next: number | undefined
    for (const { deadline: d } of this.rows.values()) {
      if (d.state !== 'pending' || !names.includes(d.name)) continue
      const at = claimableAt(d)
      if (next === undefined || at < next) next = at
    }
    return next
  }

  async list({ dueBy, state, scope, limit = 1000 }: ListDeadlinesOptions = {}): Promise<Deadline[]> {
    return [...this.rows.values()]
      .map((r) => r.deadline)
      .filter((d) => (state === undefined || d.state === state) && (scope === undefined || d.scope === scope) && (dueBy === undefined || (d.state === 'pending' && d.dueAt <= dueBy)))
      .sort((a, b) => a.dueAt - b.dueAt || a.scope.localeCompare(b.scope) || a.name.localeCompare(b.name))
      .slice(0, limit)
  }
}
