import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import type { RecordedEvent } from '@eventfold/core'
import { EVENT_SQL, filterParams, type LogRow } from './event-statements'
import { LogReadAhead, type ReadAheadQuery } from './log-read-ahead'
import { openSqlite, type SqliteConnection } from './sqlite-connection'
import { MAX_READ_AHEAD_THREADS, SqliteEventStore } from './sqlite-event-store'
import { streamRowPosition } from './stream-row'
import { tempDir, type TempDir } from './test-support/temp-dir'

/** `count` events over 7 streams, types A/B/C in turn, appended in chunks of 100. */
const appendEvents = async (store: SqliteEventStore, count: number, offset = 0): Promise<void> => {
  for (let start = 0; start < count; start += 100) {
    const chunk = Array.from({ length: Math.min(100, count - start) }, (_, i) => start + i + offset)
    for (const n of chunk) {
      await store.appendToStream(`${n % 2 ? 'Account' : 'Owner'}-${n % 7}`, [{ type: 'ABC'[n % 3]!, data: { n } }])
    }
  }
}

/** Everything a reader compares of an event. */
const shape = (e: RecordedEvent) => ({ position: e.position, streamId: e.streamId, revision: e.revision, type: e.type, data: e.data })

/** Waits until `condition` holds, polling. */
const until = async (condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('LogReadAhead', () => {
  let dir: TempDir
  let connection: SqliteConnection
  let store: SqliteEventStore
  const ahead: LogReadAhead[] = []
  const open = (options: { ahead?: number; file?: string } = {}): LogReadAhead => {
    const r = new LogReadAhead({ file: options.file ?? connection.path, sql: EVENT_SQL.allForwards, ahead: options.ahead })
    ahead.push(r)
    return r
  }
  /** The page the subscription would read itself. */
  const pageAt = (from: bigint, query: ReadAheadQuery): LogRow[] =>
    connection.db.prepare(EVENT_SQL.allForwards).raw(true).all({ ...query, from }) as LogRow[]
  const query = (limit: number, filter?: Parameters<typeof filterParams>[0]): ReadAheadQuery => ({ limit, ...filterParams(filter) })

  beforeEach(async () => {
    dir = tempDir()
    connection = openSqlite(dir.file('log.db'))
    store = new SqliteEventStore(connection)
    await appendEvents(store, 1000)
  })

  afterEach(async () => {
    for (const r of ahead.splice(0)) await r.close()
    await connection.close()
    dir.remove()
  })

  it('hands out the pages the subscription would read, in order, and nothing for a short last page', async () => {
    const r = open({ ahead: 2 })
    await until(() => r.isReady, 'the worker')
    const q = query(64)
    r.start(1n, q)
    let from = 1n
    let pages = 0
    for (;;) {
      const page = await r.take(from, q)
      const expected = pageAt(from, q)
      if (page === undefined) {
        // The last page, 1000 = 15 × 64 + 40, is short: the caller reads it itself.
        expect(expected).toHaveLength(40)
        break
      }
      expect(page).toEqual(expected)
      pages++
      from = streamRowPosition(page[page.length - 1]![1]) + 1n
    }
    expect(pages).toBe(15)
    // The read is over: nothing more is handed out.
    expect(r.take(from, q)).toBeUndefined()
  })

  it('reads filtered pages as the filtered query does', async () => {
    const r = open()
    await until(() => r.isReady, 'the worker')
    const q = query(25, { eventTypes: ['A', 'C'], streamPrefixes: ['Account-'] })
    r.start(1n, q)
    let from = 1n
    const seen: LogRow[] = []
    for (let page = await r.take(from, q); page; page = await r.take(from, q)) {
      expect(page).toEqual(pageAt(from, q))
      seen.push(...page)
      from = streamRowPosition(page[page.length - 1]![1]) + 1n
    }
    expect(seen.length).toBeGreaterThan(100)
    for (const [streamId, row] of seen) {
      expect(streamId.startsWith('Account-')).toBe(true)
      expect(['A', 'C']).toContain(row.slice(row.lastIndexOf('\u0001') + 1))
    }
  })

  it('has nothing for another position or another query, and a new start ends the read in progress', async () => {
    const r = open()
    await until(() => r.isReady, 'the worker')
    const q = query(50)
    expect(r.take(1n, q)).toBeUndefined()
    r.start(101n, q)
    expect(r.take(1n, q)).toBeUndefined()
    expect(r.take(101n, query(49))).toBeUndefined()
    expect(r.take(101n, query(50, { eventTypes: ['A'] }))).toBeUndefined()
    const pending = r.take(101n, q)!
    r.start(501n, q)
    // The read that was waited on ended: the caller reads that page itself.
    await expect(pending).resolves.toBeUndefined()
    await expect(r.take(501n, q)).resolves.toEqual(pageAt(501n, q))
  })

  it('never reads more than `ahead` pages beyond those taken', async () => {
    const r = open({ ahead: 3 })
    await until(() => r.isReady, 'the worker')
    const q = query(10)
    r.start(1n, q)
    const buffered = () => (r as unknown as { run: { pages: unknown[] } }).run.pages.length
    await until(() => buffered() === 3, 'three pages')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(buffered()).toBe(3)
    await r.take(1n, q)
    await until(() => buffered() === 3, 'the page after the three')
  })

  it('fails quietly: a missing file, or a closed read-ahead, has nothing and the caller reads itself', async () => {
    const missing = open({ file: dir.file('no-such.db') })
    // The worker fails to open the file: it never becomes ready, and start() does nothing.
    await until(() => missing.hasFailed, 'the worker to fail')
    expect(missing.isReady).toBe(false)
    missing.start(1n, query(10))
    expect(missing.take(1n, query(10))).toBeUndefined()

    const r = open()
    await until(() => r.isReady, 'the worker')
    const q = query(1000)
    r.start(1n, q)
    const pending = r.take(1n, q)!
    await r.close()
    await expect(pending).resolves.toBeUndefined()
    expect(r.isReady).toBe(false)
    expect(r.hasFailed).toBe(true)
    expect(r.take(1n, q)).toBeUndefined()
  })
})

describe('SqliteEventStore subscriptions reading ahead', () => {
  let dir: TempDir
  const toClose: Array<{ close(): Promise<void> }> = []
  const open = (pageSize: number, readAhead = true) => {
    const connection = openSqlite(dir.file('log.db'))
    const store = new SqliteEventStore(connection, { pageSize, readAhead })
    toClose.push(connection)
    return store
  }

  beforeEach(() => {
    dir = tempDir()
  })

  afterEach(async () => {
    jest.restoreAllMocks()
    for (const c of toClose.splice(0).reverse()) await c.close()
    dir.remove()
  })

  /** Spies on the read-ahead: how many pages it handed out. */
  const spyOnPages = () => {
    const take = jest.spyOn(LogReadAhead.prototype, 'take')
    return async () => {
      let pages = 0
      for (const result of take.mock.results) if ((await result.value) !== undefined) pages++
      return pages
    }
  }

  /**
   * Resolves once a subscription has started reading ahead and the thread is
   * up: a catch-up over a small log is otherwise over before the thread starts.
   */
  const readingAhead = () => {
    const start = jest.spyOn(LogReadAhead.prototype, 'start')
    return () => until(() => start.mock.contexts.some((r) => (r as LogReadAhead).isReady), 'the read-ahead thread')
  }

  /** Reads a subscription until it has `count` events, pausing after the first `pauseAfter` until `resume` resolves. */
  const firstEvents = async (
    store: SqliteEventStore,
    count: number,
    options: Parameters<SqliteEventStore['subscribeToAll']>[0] = {},
    pause?: { after: number; until: () => Promise<void> },
  ) => {
    const subscription = store.subscribeToAll(options)
    const events: RecordedEvent[] = []
    for await (const e of subscription) {
      events.push(e)
      if (events.length === pause?.after) await pause.until()
      if (events.length === count) break
    }
    return events
  }

  const allEvents = async (store: SqliteEventStore, filter?: Parameters<typeof filterParams>[0]) => {
    const events: RecordedEvent[] = []
    for await (const e of store.readAll({ filter })) events.push(e)
    return events
  }

  it('a long catch-up reads ahead on a worker thread and sees the log exactly as a read of it', async () => {
    const pages = spyOnPages()
    const ready = readingAhead()
    const store = open(50)
    await appendEvents(store, 3000)
    const events = await firstEvents(store, 3000, {}, { after: 250, until: ready })
    expect(events.map(shape)).toEqual((await allEvents(store)).map(shape))
    // 60 pages: the first five read before the thread starts, the next read by the subscription as it starts the thread.
    expect(await pages()).toBeGreaterThan(50)
  })

  it('a filtered catch-up reads ahead the filtered pages', async () => {
    const pages = spyOnPages()
    const ready = readingAhead()
    const store = open(20)
    await appendEvents(store, 3000)
    const filter = { eventTypes: ['B'], streamPrefixes: ['Owner-'] }
    const expected = await allEvents(store, filter)
    // 3000 / 3 / 2 = 500 events: 25 pages.
    expect(expected).toHaveLength(500)
    const events = await firstEvents(store, expected.length, { filter }, { after: 100, until: ready })
    expect(events.map(shape)).toEqual(expected.map(shape))
    expect(await pages()).toBeGreaterThan(15)
  })

  it('sees every event appended by another connection while it catches up, once and in order', async () => {
    const pages = spyOnPages()
    const ready = readingAhead()
    const store = open(25)
    await appendEvents(store, 1000)
    const writer = new SqliteEventStore(openSqlite(dir.file('log.db')))
    toClose.push(writer)
    const subscription = store.subscribeToAll()
    const events: RecordedEvent[] = []
    const appending = appendEvents(writer, 2000, 1000)
    for await (const e of subscription) {
      events.push(e)
      if (events.length === 150) await ready()
      // Give the writer turns while the subscriber reads.
      if (events.length % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
      if (events.length === 3000) break
    }
    await appending
    expect(events.map(shape)).toEqual((await allEvents(store)).map(shape))
    expect(new Set(events.map((e) => e.position)).size).toBe(3000)
    expect(await pages()).toBeGreaterThan(10)
  })

  it('ends with the store, while the thread is reading', async () => {
    const ready = readingAhead()
    const store = open(10)
    await appendEvents(store, 2000)
    const subscription = store.subscribeToAll()
    let seen = 0
    const reading = (async () => {
      for await (const _ of subscription) {
        seen++
        // A slow consumer: the catch-up lasts seconds, the thread starts within it.
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
    })()
    await ready()
    await store.close()
    await reading
    expect(seen).toBeLessThan(2000)
  })

  it(`runs at most ${MAX_READ_AHEAD_THREADS} threads per store; the other subscriptions read themselves`, async () => {
    const store = open(10)
    await appendEvents(store, 1000)
    const threads = () => (store as unknown as { readAheadThreads: number }).readAheadThreads
    let most = 0
    const expected = (await allEvents(store)).map(shape)
    const subscriptions = Array.from({ length: MAX_READ_AHEAD_THREADS + 2 }, async () => {
      const events: RecordedEvent[] = []
      for await (const e of store.subscribeToAll()) {
        events.push(e)
        most = Math.max(most, threads())
        // Slow consumers: all of them are catching up at the same time.
        if (events.length % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
        if (events.length === 1000) break
      }
      return events.map(shape)
    })
    for (const events of await Promise.all(subscriptions)) expect(events).toEqual(expected)
    expect(most).toBe(MAX_READ_AHEAD_THREADS)
    expect(threads()).toBe(0)
  })

  it('gives up reading ahead after a thread failed, and frees its place', async () => {
    const start = jest.spyOn(LogReadAhead.prototype, 'start')
    jest.spyOn(LogReadAhead.prototype, 'hasFailed', 'get').mockReturnValue(true)
    const store = open(10)
    await appendEvents(store, 500)
    const events = await firstEvents(store, 500)
    expect(events.map(shape)).toEqual((await allEvents(store)).map(shape))
    // One thread was started, found failed at the next page, and never replaced.
    expect(new Set(start.mock.contexts).size).toBe(1)
    expect((store as unknown as { readAheadThreads: number }).readAheadThreads).toBe(0)
  })

  it('is not used for an in-memory log, nor when turned off', async () => {
    const start = jest.spyOn(LogReadAhead.prototype, 'start')
    const memory = new SqliteEventStore(openSqlite(':memory:'), { pageSize: 10 })
    toClose.push(memory)
    await appendEvents(memory, 500)
    expect(await firstEvents(memory, 500)).toHaveLength(500)
    const off = open(10, false)
    await appendEvents(off, 500)
    expect(await firstEvents(off, 500)).toHaveLength(500)
    expect(start).not.toHaveBeenCalled()
  })
})
