import type { RecordedEvent } from '@eventfold/core'

const TIMEOUT: unique symbol = Symbol('timeout')
const STOPPED: unique symbol = Symbol('stopped')

/**
 * Cuts a subscription into batches by size and time: a batch starts with the
 * next event and closes when it is full or `maxWaitMs` after its first event.
 * The pending read survives a timeout, so no event is ever dropped.
 */
export class BatchReader {
  private pending: Promise<IteratorResult<RecordedEvent>> | undefined
  private ended = false

  constructor(private readonly iterator: AsyncIterator<RecordedEvent>) {}

  /** True once the subscription has ended. */
  get done(): boolean {
    return this.ended
  }

  /**
   * The next batch; empty when `stop` resolved first or the subscription ended.
   */
  async read(maxSize: number, maxWaitMs: number, stop: Promise<void>): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = []
    if (this.ended) return out
    const first = await Promise.race([this.next(), stop.then((): typeof STOPPED => STOPPED)])
    if (first === STOPPED) return out
    this.pending = undefined
    if (first.done) {
      this.ended = true
      return out
    }
    out.push(first.value)
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<typeof TIMEOUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMEOUT), maxWaitMs)
    })
    try {
      while (out.length < maxSize) {
        const r = await Promise.race([this.next(), deadline])
        if (r === TIMEOUT) break
        this.pending = undefined
        if (r.done) {
          this.ended = true
          break
        }
        out.push(r.value)
      }
    } finally {
      clearTimeout(timer)
    }
    return out
  }

  private next(): Promise<IteratorResult<RecordedEvent>> {
    this.pending ??= this.iterator.next()
    return this.pending
  }
}
