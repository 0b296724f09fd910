import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import type { RecordedEvent, Subscription } from '@eventfold/core'
import pg from 'pg'
import { quoteIdent } from '../pg/identifiers'
import { describePostgres, dropSchema, freshSchema, postgresUrl, testPool } from '../testing/connect'
import { EventSql, type AppendRow } from './event-sql'
import { channelOf, PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store'
import { positionBoundOf, transactionOf } from './position'

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const TIMEOUT = Symbol('timeout')
/** The next event of a subscription, or TIMEOUT; a pending `next()` is kept for the following call. */
const reader = (subscription: Subscription) => {
  const iterator = subscription[Symbol.asyncIterator]()
  let pending: Promise<IteratorResult<RecordedEvent>> | undefined
  return async (ms: number): Promise<RecordedEvent | typeof TIMEOUT> => {
    pending ??= iterator.next()
    let timer: NodeJS.Timeout | undefined
    const result = await Promise.race([pending, new Promise<typeof TIMEOUT>((resolve) => (timer = setTimeout(() => resolve(TIMEOUT), ms)))])
    clearTimeout(timer)
    if (result === TIMEOUT) return TIMEOUT
    pending = undefined
    if (result.done) throw new Error('the subscription ended')
    return result.value
  }
}

/** Resolves once the subscription reports it caught up. */
const caughtUp = () => {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, onCaughtUp: () => resolve() }
}

describePostgres('PostgresEventStore', () => {
  let pool: pg.Pool
  let schema: string
  let sql: EventSql
  const toClose: Array<{ close(): Promise<void> }> = []
  const open = (options: PostgresEventStoreOptions = {}, source: ConstructorParameters<typeof PostgresEventStore>[0] = pool) => {
    const store = new PostgresEventStore(source, { schema, ...options })
    toClose.push(store)
    return store
  }
  /** A transaction left open on its own connection after appending `count` events to `streamId` with the store's own statement. */
  const openAppend = async (streamId: string, count = 1) => {
    const client = await pool.connect()
    await client.query('BEGIN')
    const events = Array.from({ length: count }, (_, n) => ({ n, id: randomUUID(), type: 'Slow', data: { n }, metadata: {} }))
    const { rows } = await client.query<AppendRow>(sql.append(streamId, 'any', JSON.stringify(events), channelOf(schema)))
    const end = async (how: 'COMMIT' | 'ROLLBACK') => {
      try {
        await client.query(how)
      } finally {
        client.release()
      }
    }
    return { position: rows[0]!.position!, commit: () => end('COMMIT'), rollback: () => end('ROLLBACK') }
  }
  /**
   * A pool for a store that tells which of its statements have run: `after`
   * resolves once `count` more results of statements whose text contains
   * `marker` (and whose rows satisfy `rows`) have come back.
   */
  const watchedPool = () => {
    const watched = testPool(4)
    toClose.push({ close: () => watched.end() })
    const listeners = new Set<(text: string, rows: readonly Record<string, unknown>[]) => void>()
    const query = watched.query.bind(watched) as (...args: unknown[]) => unknown
    watched.query = ((...args: unknown[]) => {
      const config = args[0] as { text?: unknown } | string
      const text = typeof config === 'string' ? config : typeof config.text === 'string' ? config.text : ''
      const result = query(...args)
      if (result instanceof Promise) {
        void result.then(
          (r: { rows?: Record<string, unknown>[] }) => listeners.forEach((l) => l(text, r.rows ?? [])),
          () => undefined,
        )
      }
      return result
    }) as typeof watched.query
    const after = (marker: string, count: number, rows: (rows: readonly Record<string, unknown>[]) => boolean = () => true): Promise<void> =>
      new Promise((resolve) => {
        let seen = 0
        const listener = (text: string, result: readonly Record<string, unknown>[]) => {
          if (!text.includes(marker) || !rows(result)) return
          if (++seen < count) return
          listeners.delete(listener)
          resolve()
        }
        listeners.add(listener)
      })
    return { pool: watched, after }
  }
  /** The store's snapshot read (see `settledBound`): a call that reads a second one found an older append still open. */
  const SNAPSHOT = 'FROM pg_current_snapshot() AS s'
  /** The store's page read; `held` says committed events wait behind an older open append. */
  const PAGE = 'AS held'
  /** The pid of the connection of `applicationName` that has run LISTEN (other than `other`), once there is one. */
  const listenerOf = async (applicationName: string, other?: number): Promise<number> => {
    for (let i = 0; i < 400; i++) {
      const { rows } = await pool.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'",
        [applicationName],
      )
      const pid = rows[0]?.pid
      if (pid !== undefined && pid !== other) return pid
      await sleep(25)
    }
    throw new Error(`no listening connection of ${applicationName}`)
  }
  /** Resolves once a statement on this test's schema waits for a lock, e.g. an append queued behind an open transaction. */
  const lockWaiter = async (): Promise<void> => {
    for (;;) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND strpos(query, $1) > 0`,
        [schema],
      )
      if (rows[0]!.n > 0) return
      await sleep(10)
    }
  }

  beforeAll(() => {
    pool = testPool()
  })
  afterAll(async () => {
    await pool.end()
  })
  beforeEach(async () => {
    schema = freshSchema('store')
    sql = new EventSql(quoteIdent(schema))
    await open().ready()
  })
  afterEach(async () => {
    for (const c of toClose.splice(0).reverse()) await c.close()
    await dropSchema(pool, schema)
  })

  describe('positions', () => {
    it('makes the positions of one append consecutive, from the id of the transaction that stored them', async () => {
      const store = open()

      const { position } = await store.appendToStream('Account-1', [{ type: 'A', data: {} }, { type: 'B', data: {} }, { type: 'C', data: {} }])

      const { rows } = await pool.query<{ position: string; xmin: string }>(
        `SELECT position::text, xmin::text FROM ${quoteIdent(schema)}.eventfold_events ORDER BY position`,
      )
      const positions = rows.map((r) => BigInt(r.position))
      expect(positions).toEqual([position - 2n, position - 1n, position])
      // xmin is the 32-bit inserting transaction id; the position holds the full 64-bit one.
      for (const r of rows) expect(transactionOf(BigInt(r.position)) % 2n ** 32n).toBe(BigInt(r.xmin))
      expect(positionBoundOf(transactionOf(position)) + 2n).toBe(position)
    })

    it('reads positions and revisions exactly, even when pg is told to parse int8 as numbers', async () => {
      const store = open()
      const before = pg.types.getTypeParser(20)
      pg.types.setTypeParser(20, (value: string) => Number.parseInt(value, 10))
      try {
        const appended = await store.appendToStream('Account-1', [{ type: 'A', data: {} }])
        const [read] = await collect(store.readStream('Account-1'))

        expect(read).toMatchObject({ revision: 0n, position: appended.position })
        expect(typeof read!.position).toBe('bigint')
        expect(await store.headPosition()).toBe(appended.position)
      } finally {
        pg.types.setTypeParser(20, before)
      }
    })
  })

  describe('query plans', () => {
    // Reading the log page by page must cost O(page) per page, whatever its size: an ordered
    // index scan that stops at the limit, never a scan of every event after the page's start.
    it.each([
      ['force_generic_plan', 'before'],
      ['force_custom_plan', 'before'],
      ['force_generic_plan', 'after'],
      ['force_custom_plan', 'after'],
    ])('reads a page of the log with an ordered index scan (%s, %s ANALYZE)', async (mode, analyzed) => {
      const store = open()
      for (let s = 0; s < 40; s++) {
        await store.appendToStream(`Account-${s}`, Array.from({ length: 100 }, (_, n) => ({ type: 'A', data: { n } })))
      }
      // A fresh log has no statistics until autovacuum gets to it: both must plan well.
      if (analyzed === 'after') await pool.query(`ANALYZE ${quoteIdent(schema)}.eventfold_events`)
      // A client of its own: the plan setting and the prepared statement stay off the pool's connections.
      const client = new pg.Client({ connectionString: postgresUrl() })
      await client.connect()
      try {
        const page = sql.pageAfter(-1n, 500, undefined)
        await client.query(`PREPARE page_after AS ${page.text}`)
        await client.query(`SET plan_cache_mode = ${mode}`)
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) EXECUTE page_after('-1', 500, NULL, NULL)`)
        const plan = rows.map((r) => r['QUERY PLAN']).join('\n')
        expect(plan).toContain('Index Scan using eventfold_events_pkey')
        expect(plan).not.toMatch(/Seq Scan|Bitmap Heap Scan/)
        // 500 rows of 4,000 in a handful of pages, not the whole table.
        const hits = Number(/Buffers: shared hit=(\d+)/.exec(plan)?.[1])
        expect(hits).toBeLessThan(100)
      } finally {
        await client.end()
      }
    })
  })

  describe('an append still open at a lower position', () => {
    it('holds back younger events until it commits, then delivers both in position order', async () => {
      const watched = watchedPool()
      const store = open({ settleTimeoutMs: 100 }, watched.pool)
      const older = await openAppend('Slow-1')
      const younger = await store.appendToStream('Fast-1', [{ type: 'Fast', data: {} }])
      // Two page reads that came back held: the subscriber has looked, and looked again, and waits.
      const held = watched.after(PAGE, 2, (rows) => rows[0]?.held === true)
      const next = reader(store.subscribeToAll())
      const pending = next(30_000)
      await held

      expect(younger.position > older.position).toBe(true)
      expect(await next(0)).toBe(TIMEOUT)
      expect(await collect(store.readAll())).toEqual([])
      expect(await store.headPosition()).toBeUndefined()

      await older.commit()

      expect(await pending).toMatchObject({ streamId: 'Slow-1', position: older.position })
      expect(await next(2000)).toMatchObject({ streamId: 'Fast-1', position: younger.position })
      expect((await collect(store.readAll())).map((e) => e.position)).toEqual([older.position, younger.position])
    })

    it('releases the younger events soon after it rolls back, though a rollback notifies nobody', async () => {
      // It would poll again only in a minute: delivery before that comes from waiting on the open append.
      const watched = watchedPool()
      const store = open({ pollIntervalMs: 60_000 }, watched.pool)
      const older = await openAppend('Slow-1', 3)
      const ready = caughtUp()
      const next = reader(store.subscribeToAll({ onCaughtUp: ready.onCaughtUp }))
      const first = next(30_000)
      await ready.promise
      // The subscriber woke for Fast-1 and found it held back by the open append below it.
      const held = watched.after(PAGE, 1, (rows) => rows[0]?.held === true)
      await store.appendToStream('Fast-1', [{ type: 'Fast', data: {} }])
      await held

      await older.rollback()

      expect(await first).toMatchObject({ streamId: 'Fast-1' })
      expect((await collect(store.readAll())).map((e) => e.streamId)).toEqual(['Fast-1'])
    })

    it('makes headPosition and readAll wait for it, to see the younger appends committed before the call', async () => {
      // Two stores on pools of their own, so that each call's statements can be told apart.
      const [forHead, forAll] = [watchedPool(), watchedPool()]
      const [store, other] = [open({}, forHead.pool), open({}, forAll.pool)]
      const older = await openAppend('Slow-1')
      const younger = await store.appendToStream('Fast-1', [{ type: 'Fast', data: {} }])

      // A call reads a second snapshot only once its first showed the older append still open.
      const waiting = [forHead.after(SNAPSHOT, 2), forAll.after(SNAPSHOT, 2)]
      const head = store.headPosition()
      const all = collect(other.readAll())
      await Promise.all(waiting)
      await older.commit()

      expect(await head).toBe(younger.position)
      expect((await all).map((e) => e.position)).toEqual([older.position, younger.position])
    })
  })

  describe('waking subscribers', () => {
    it('wakes the subscribers of another store (another process) by NOTIFY, whatever the poll interval', async () => {
      // It would poll again only in a minute: only the notification can deliver the event sooner.
      const applicationName = `eventfold-test-${randomUUID().slice(0, 8)}`
      const reading = open({ pollIntervalMs: 60_000 }, { connectionString: postgresUrl(), max: 2, application_name: applicationName })
      const writing = open({}, { connectionString: postgresUrl(), max: 2 })
      const ready = caughtUp()
      const next = reader(reading.subscribeToAll({ onCaughtUp: ready.onCaughtUp }))
      const first = next(30_000)
      await ready.promise
      await listenerOf(applicationName)

      await writing.appendToStream('Account-1', [{ type: 'Opened', data: {} }])

      expect(await first).toMatchObject({ type: 'Opened' })
    })

    it('listens again after its connection is lost, and meanwhile polls', async () => {
      const applicationName = `eventfold-test-${randomUUID().slice(0, 8)}`
      const errors: unknown[] = []
      const reading = open(
        { pollIntervalMs: 60_000, onError: (e) => errors.push(e) },
        { connectionString: postgresUrl(), max: 2, application_name: applicationName },
      )
      const writing = open({}, { connectionString: postgresUrl(), max: 2 })
      const ready = caughtUp()
      const next = reader(reading.subscribeToAll({ onCaughtUp: ready.onCaughtUp }))
      const first = next(30_000)
      await ready.promise
      const lost = await listenerOf(applicationName)

      await pool.query('SELECT pg_terminate_backend($1)', [lost])
      await listenerOf(applicationName, lost)
      await writing.appendToStream('Account-1', [{ type: 'Opened', data: {} }])

      expect(await first).toMatchObject({ type: 'Opened' })
      expect(errors.length).toBeGreaterThan(0)
    })

    it('without notifications, subscribers see other stores’ appends by polling', async () => {
      const reading = open({ notifications: false, pollIntervalMs: 50 }, { connectionString: postgresUrl(), max: 2 })
      const writing = open({ notifications: false }, { connectionString: postgresUrl(), max: 2 })
      const ready = caughtUp()
      const next = reader(reading.subscribeToAll({ onCaughtUp: ready.onCaughtUp }))
      const first = next(3000)
      await ready.promise

      await writing.appendToStream('Account-1', [{ type: 'Opened', data: {} }])

      expect(await first).toMatchObject({ type: 'Opened' })
    })
  })

  describe('refusals', () => {
    it('refuses a payload jsonb cannot hold with a SerializationError and appends nothing', async () => {
      const store = open()

      await expect(store.appendToStream('Account-1', [{ type: 'A', data: { text: 'nul \u0000 inside' } }])).rejects.toMatchObject({
        type: 'serialization',
      })
      expect(await store.streamRevision('Account-1')).toBeUndefined()
    })

    it('reports a lost race as a ConcurrencyError carrying the revision that won', async () => {
      const store = open()
      await store.appendToStream('Account-1', [{ type: 'Opened', data: {} }])
      const racing = await openAppend('Account-1')

      const losing = store.appendToStream('Account-1', [{ type: 'Deposited', data: {} }], { expectedRevision: 0n })
      // The losing append is queued behind the racing one's lock.
      await lockWaiter()
      await racing.commit()

      await expect(losing).rejects.toMatchObject({ type: 'concurrency', expected: 0n, actual: 1n, cause: expect.objectContaining({ code: '23505' }) })
    })

    it('refuses to start on a log restored into a cluster whose transaction ids are behind its positions', async () => {
      const { rows } = await pool.query<{ next: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next')
      const ahead = positionBoundOf(BigInt(rows[0]!.next) + 1_000_000n)
      await pool.query(
        `INSERT INTO ${quoteIdent(schema)}.eventfold_events (position, stream_id, revision, event_id, type, data, metadata)
         VALUES ($1, 'Account-1', 0, $2, 'Opened', '{}', '{}')`,
        [ahead.toString(), randomUUID()],
      )

      await expect(open().ready()).rejects.toThrow(/restored into another cluster/)
    })
  })

  describe('its pool', () => {
    it('leaves a borrowed pool open when it closes', async () => {
      const store = open()
      await store.appendToStream('Account-1', [{ type: 'A', data: {} }])

      await store.close()

      await expect(pool.query('SELECT 1')).resolves.toBeDefined()
      await expect(store.headPosition()).rejects.toMatchObject({ type: 'store-closed' })
    })

    it('creates its schema and table on first use', async () => {
      const other = freshSchema('lazy')
      try {
        const store = open({ schema: other })

        await store.appendToStream('Account-1', [{ type: 'A', data: {} }])

        expect(await store.streamRevision('Account-1')).toBe(0n)
      } finally {
        for (const c of toClose.splice(0).reverse()) await c.close()
        await dropSchema(pool, other)
      }
    })
  })
})
