import type { EventRead, RecordedEvent } from '@eventfold/core'

/** How {@link PagedEvents} reads: one keyset-paginated query and what to do around it. */
export interface PagedRead<Row> {
  /** Runs at the first `next()`: checks that the store is open and finds where to start; false when there is nothing to read. */
  readonly start: () => boolean
  /** Runs before each page's query, e.g. to refuse reading from a closed store. */
  readonly beforePage: () => void
  /** Reads the next page of at most `limit` rows. */
  readonly readPage: (limit: number) => readonly Row[]
  /** Moves the key past the last row of a full page. */
  readonly afterPage: (last: Row) => void
  /** The event a row records. */
  readonly toEvent: (row: Row) => RecordedEvent
  /** Rows per query. */
  readonly pageSize: number
  /** Rows in total; `Infinity` for all. */
  readonly maxCount: number
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined })

/**
 * The events of a keyset-paginated read, page by page. Each page is read to
 * its end before its first event is returned: better-sqlite3 refuses to
 * write on a connection while one of its statements iterates, and the
 * consumer of a read may well append between two events. Memory holds one page.
 *
 * An async iterator written out rather than an async generator: reads are
 * synchronous underneath, so each `next()` returns a settled promise, which
 * spares every event the generator's queue and awaits; `pages()` hands out
 * each page whole, so folding a stream costs one settled promise per page.
 * Nothing runs before the first `next()`, as with a generator; a read that
 * failed or was `return()`ed stays done.
 */
export class PagedEvents<Row> implements AsyncIterableIterator<RecordedEvent>, EventRead {
  private rows: readonly Row[] = []
  private index = 0
  private remaining: number
  private started = false
  /** No page to read after the current one. */
  private lastPage = false

  constructor(private readonly read: PagedRead<Row>) {
    this.remaining = Math.floor(read.maxCount)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  /** The same read, a page at a time. */
  pages(): AsyncIterableIterator<readonly RecordedEvent[]> {
    const pages: AsyncIterableIterator<readonly RecordedEvent[]> = {
      [Symbol.asyncIterator]: () => pages,
      next: () => {
        try {
          const page = this.nextPage()
          return Promise.resolve(page.length > 0 ? { done: false, value: page } : DONE)
        } catch (error) {
          this.finish()
          return Promise.reject(error)
        }
      },
      return: () => {
        this.finish()
        return Promise.resolve(DONE)
      },
    }
    return pages
  }

  next(): Promise<IteratorResult<RecordedEvent>> {
    try {
      return Promise.resolve(this.step())
    } catch (error) {
      this.finish()
      return Promise.reject(error)
    }
  }

  return(): Promise<IteratorResult<RecordedEvent>> {
    this.finish()
    return Promise.resolve(DONE)
  }

  private step(): IteratorResult<RecordedEvent> {
    for (;;) {
      if (this.index < this.rows.length) return { done: false, value: this.read.toEvent(this.rows[this.index++]!) }
      if (!this.fetch()) return DONE
    }
  }

  /** The rest of the current page, or the next one; empty when the read is over. */
  private nextPage(): RecordedEvent[] {
    while (this.index >= this.rows.length) if (!this.fetch()) return []
    const { rows, index } = this
    const { toEvent } = this.read
    const page: RecordedEvent[] = []
    for (let i = index; i < rows.length; i++) page.push(toEvent(rows[i]!))
    this.index = rows.length
    return page
  }

  /** Reads the next page of rows; false when there is none. */
  private fetch(): boolean {
    if (!this.started) {
      this.started = true
      if (!this.read.start()) this.lastPage = true
    }
    if (this.lastPage || this.remaining <= 0) {
      this.finish()
      return false
    }
    const { pageSize, beforePage, readPage, afterPage } = this.read
    beforePage()
    const limit = Math.min(pageSize, this.remaining)
    const rows = readPage(limit)
    this.remaining -= rows.length
    if (rows.length < limit) this.lastPage = true
    else afterPage(rows[rows.length - 1]!)
    this.rows = rows
    this.index = 0
    return true
  }

  private finish(): void {
    this.started = true
    this.lastPage = true
    this.rows = []
    this.index = 0
  }
}
