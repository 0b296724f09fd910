/**
 * Time for deadlines: what time it is, and a wait until a moment. Injected so
 * that tests move time forward instead of sleeping.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
  /** Resolves once `now()` reaches `at`, or when `interrupt` resolves, whichever comes first. */
  waitUntil(at: number, interrupt: Promise<void>): Promise<void>
}

/** The longest single timer the system clock sets; a later moment is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** The wall clock: `Date.now()` and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  waitUntil: async (at, interrupt) => {
    let timer: NodeJS.Timeout | undefined
    const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())))))
    try {
      await Promise.race([elapsed, interrupt])
    } finally {
      clearTimeout(timer)
    }
  },
}
