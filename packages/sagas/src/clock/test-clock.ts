import type { Clock } from './clock'

/**
 * A clock that moves only when the test says so: {@link advance} wakes every
 * wait whose moment has come, so a deadline worker on it fires without a
 * test ever sleeping.
 * @example
 * ```ts
 * const clock = new TestClock(Date.parse('2026-01-01T00:00:00Z'))
 * await scope.schedule('reminder', { after: 60_000 }, {})
 * clock.advance(60_000) // the worker claims and delivers the reminder
 * ```
 */
export class TestClock implements Clock {
  private waiters = new Set<{ at: number; resolve: () => void }>()

  /** Starts at `start` epoch milliseconds. @default the current wall-clock time */
  constructor(private current: number = Date.now()) {}

  now(): number {
    return this.current
  }

  waitUntil(at: number, interrupt: Promise<void>): Promise<void> {
    if (at <= this.current) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const waiter = { at, resolve: () => (this.waiters.delete(waiter), resolve()) }
      this.waiters.add(waiter)
      void interrupt.then(waiter.resolve)
    })
  }

  /** Moves time forward by `ms` and wakes the waits that are due. */
  advance(ms: number): void {
    this.set(this.current + ms)
  }

  /** Moves time to `at` (never backwards) and wakes the waits that are due. */
  set(at: number): void {
    if (at < this.current) throw new RangeError(`the test clock does not go back (now ${this.current}, asked ${at})`)
    this.current = at
    for (const w of [...this.waiters]) if (w.at <= at) w.resolve()
  }
}
