import { randomUUID } from 'node:crypto'
import { assertName } from '@eventfold/core/spi'
import { systemClock, type Clock } from '../clock/clock'
import { InvalidDeadlineError } from '../errors'
import type { DeadlineWhen } from './deadline'
import type { DeadlineStore } from './deadline-store'

/** Options of {@link Deadlines}. */
export interface DeadlinesOptions {
  /** What `after` is counted from. @default the system clock */
  readonly clock?: Clock
  /** Told after each schedule, e.g. a worker's `wake` so one in this process looks again at once. @default nothing */
  readonly onScheduled?: () => void
}

/** What one saga instance or aggregate schedules and cancels: its deadlines by name. */
export interface ScopedDeadlines {
  readonly scope: string
  /**
   * Schedules deadline `name` of this scope at a moment or after a delay,
   * replacing one of the same name. Returns its id, which its delivery carries.
   * @throws {@link InvalidDeadlineError} for a moment that is not a finite time.
   * @throws {@link SerializationError} when `payload` is not JSON data.
   */
  schedule(name: string, when: DeadlineWhen, payload?: unknown): Promise<{ id: string; dueAt: number }>
  /** Cancels deadline `name` of this scope; true when a pending one was removed. */
  cancel(name: string): Promise<boolean>
}

/**
 * Schedules and cancels deadlines in a {@link DeadlineStore}, from a command
 * handler now and from a saga later.
 * @example
 * ```ts
 * const deadlines = new Deadlines(store)
 * await deadlines.scope('Order-42').schedule('payment-timeout', { after: 15 * 60_000 }, { orderId: '42' })
 * await deadlines.scope('Order-42').cancel('payment-timeout')
 * ```
 */
export class Deadlines {
  private readonly clock: Clock
  private readonly onScheduled: (() => void) | undefined

  constructor(
    private readonly store: DeadlineStore,
    { clock = systemClock, onScheduled }: DeadlinesOptions = {},
  ) {
    this.clock = clock
    this.onScheduled = onScheduled
  }

  /** The deadlines of `scope`, e.g. an aggregate's stream id. */
  scope(scope: string): ScopedDeadlines {
    assertName(scope, 'scope')
    return {
      scope,
      schedule: (name, when, payload) => this.schedule(scope, name, when, payload),
      cancel: (name) => {
        assertName(name, 'name')
        return this.store.cancel(scope, name)
      },
    }
  }

  private async schedule(scope: string, name: string, when: DeadlineWhen, payload: unknown = null): Promise<{ id: string; dueAt: number }> {
    assertName(name, 'name')
    const now = this.clock.now()
    const dueAt = 'after' in when ? now + when.after : typeof when.at === 'number' ? when.at : when.at.getTime()
    if (!Number.isFinite(dueAt)) throw new InvalidDeadlineError(scope, name, `due time ${String(dueAt)} is not a finite moment`)
    const id = randomUUID()
    await this.store.schedule({ id, scope, name, dueAt, payload, scheduledAt: now })
    this.onScheduled?.()
    return { id, dueAt }
  }
}
