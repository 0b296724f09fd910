/**
 * Wakes a worker waiting for its next read: on stop, when its source catches
 * up, or after a timeout. A wake also ends the next wait at once: the read it
 * interrupted may already have had its first item, so without that the wake
 * would be lost. Each wait's promise is its own, so a worker that reads for
 * days holds no growing list of reactions.
 */
export class Wakeup {
  private waiters = new Set<() => void>()
  private missed = false

  wake(): void {
    this.missed = true
    for (const w of this.waiters) w()
    this.waiters.clear()
  }

  next(timeoutMs?: number): { promise: Promise<void>; cancel: () => void } {
    if (this.missed) {
      this.missed = false
      return { promise: Promise.resolve(), cancel: () => {} }
    }
    let timer: NodeJS.Timeout | undefined
    let resolve!: () => void
    const promise = new Promise<void>((r) => (resolve = r))
    this.waiters.add(resolve)
    if (timeoutMs !== undefined) timer = setTimeout(resolve, timeoutMs)
    return {
      promise,
      cancel: () => {
        clearTimeout(timer)
        this.waiters.delete(resolve)
      },
    }
  }
}
