const TIMEOUT: unique symbol = Symbol('timeout')
const STOPPED: unique symbol = Symbol('stopped')

/**
 * Hands over the next items in one piece, up to `maxCount`, as soon as at
 * least one is there; an empty array when the source has ended. Sources that
 * read pages (a subscription's `nextBatch`) offer it: a batch then costs a
 * promise per page, not per item.
 */
export type NextBatch<T> = (maxCount: number) => Promise<readonly T[]>

/**
 * Cuts a stream (a subscription, a queue of deliveries) into batches by size
 * and time: a batch starts with the next item and closes when it is full or
 * `maxWaitMs` after its first item. The pending read survives a timeout or a
 * stop, so no item is ever dropped.
 */
export class BatchReader<T> {
  private pending: Promise<IteratorResult<T>> | undefined
  private pendingBatch: Promise<readonly T[]> | undefined
  /** Items a batch read delivered beyond what the batch had room for. */
  private leftover: T[] = []
  private ended = false

  private readonly iterator: AsyncIterator<T> | undefined
  private readonly nextBatch: NextBatch<T> | undefined

  /** Reads an iterator item by item, or a {@link NextBatch} source page by page. */
  constructor(source: AsyncIterator<T> | NextBatch<T>) {
    if (typeof source === 'function') this.nextBatch = source
    else this.iterator = source
  }

  /** True once the stream has ended. */
  get done(): boolean {
    return this.ended && this.leftover.length === 0
  }

  /**
   * The next batch; empty when `stop` resolved before the first item, or the
   * stream ended.
   */
  async read(maxSize: number, maxWaitMs: number, stop: Promise<void>): Promise<T[]> {
    const out: T[] = this.leftover.length > 0 ? this.leftover.splice(0, maxSize) : []
    if (out.length === maxSize || this.ended) return out
    if (out.length === 0) {
      const first = await Promise.race([this.chunk(maxSize), stop.then((): typeof STOPPED => STOPPED)])
      if (first === STOPPED) return out
      this.settled(first, out, maxSize)
      if (this.ended) return out
    }
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<typeof TIMEOUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMEOUT), maxWaitMs)
    })
    try {
      while (out.length < maxSize && !this.ended) {
        const r = await Promise.race([this.chunk(maxSize - out.length), deadline])
        if (r === TIMEOUT) break
        this.settled(r, out, maxSize)
      }
    } finally {
      clearTimeout(timer)
    }
    return out
  }

  /** The next items: a page through `nextBatch`, or one item. */
  private chunk(maxCount: number): Promise<readonly T[] | IteratorResult<T>> {
    if (this.nextBatch) return (this.pendingBatch ??= this.nextBatch(maxCount))
    return (this.pending ??= this.iterator!.next())
  }

  /** Takes what a chunk brought into `out`, the excess into the leftovers. */
  private settled(chunk: readonly T[] | IteratorResult<T>, out: T[], maxSize: number): void {
    if (Array.isArray(chunk)) {
      this.pendingBatch = undefined
      const items = chunk as readonly T[]
      if (items.length === 0) {
        this.ended = true
        return
      }
      const room = maxSize - out.length
      for (let i = 0; i < items.length && i < room; i++) out.push(items[i]!)
      if (items.length > room) this.leftover.push(...items.slice(room))
      return
    }
    this.pending = undefined
    const r = chunk as IteratorResult<T>
    if (r.done) this.ended = true
    else out.push(r.value)
  }
}
