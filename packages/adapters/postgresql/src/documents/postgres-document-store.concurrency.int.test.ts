import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals'
import { DocumentConflictError } from '@eventfold/projections'
import { type DocumentWrite } from '@eventfold/projections/spi'
import pg from 'pg'
import { quoteIdent } from '../pg/identifiers'
import { describePostgres, dropSchema, freshSchema, testPool } from '../testing/connect'
import { PostgresDocumentStore } from './postgres-document-store'

/** mulberry32: seeded, so that a failing run can be told apart by its seed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const shuffle = <T>(items: readonly T[], next: () => number): T[] => {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

describePostgres('PostgresDocumentStore under concurrent commits', () => {
  const COMMITTERS = 8
  const COMMITS = 50
  const DOCS = 20
  const ids = Array.from({ length: DOCS }, (_, i) => `d${String(i).padStart(2, '0')}`)
  let pool: pg.Pool
  const schema = freshSchema('docs_concurrency')
  let store: PostgresDocumentStore

  beforeAll(async () => {
    pool = testPool(COMMITTERS + 2)
    store = new PostgresDocumentStore(pool, { schema })
    await store.ready()
  })
  afterEach(() => {
    jest.restoreAllMocks()
  })
  afterAll(async () => {
    await store.close()
    await dropSchema(pool, schema)
    await pool.end()
  })

  const put = (collection: string, id: string, fields: Record<string, unknown>, expectedRevision: number): DocumentWrite => ({
    kind: 'put',
    collection,
    doc: { _id: id, ...fields },
    meta: { revision: expectedRevision + 1, positions: {} },
    expectedRevision,
  })

  /**
   * Counts the statements PostgreSQL fails as deadlock victims from now on
   * (until the mocks are restored): the store turns them into conflicts, so
   * only the driver still sees them.
   */
  const countDeadlocks = (): { deadlocks: number } => {
    const seen = { deadlocks: 0 }
    const query = pg.Client.prototype.query
    jest.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const result = (query as (...a: unknown[]) => unknown).apply(this, args)
      if (result instanceof Promise) {
        result.catch((error: unknown) => {
          if ((error as { code?: unknown } | undefined)?.code === '40P01') seen.deadlocks++
        })
      }
      return result
    } as never)
    return seen
  }

  it('never deadlocks when committers write overlapping documents in random orders, and keeps every successful commit', async () => {
    const seed = Date.now() % 1_000_000
    const next = random(seed)
    const expected = new Map(ids.map((id) => [id, { total: 0, commits: 0 }]))
    let conflicts = 0
    const seen = countDeadlocks()

    /** One commit as the projection worker makes it: read, compute, compare-and-set; on a conflict read again. */
    const commitOnce = async (committer: number, n: number, chosen: readonly string[], delta: number): Promise<void> => {
      for (;;) {
        const stored = await store.getMany('counters', chosen)
        const writes = chosen.map((id) => {
          const current = stored.get(id)
          const doc = current?.doc as { total: number; commits: number } | undefined
          return put('counters', id, { total: (doc?.total ?? 0) + delta, commits: (doc?.commits ?? 0) + 1 }, current?.meta.revision ?? 0)
        })
        try {
          await store.commit({ writes, checkpoint: { name: `committer-${committer}`, position: BigInt(n) } })
          return
        } catch (error) {
          if (!(error instanceof DocumentConflictError)) throw error
          conflicts++
        }
      }
    }

    const started = Date.now()
    await Promise.all(
      Array.from({ length: COMMITTERS }, async (_, committer) => {
        for (let n = 1; n <= COMMITS; n++) {
          // Between 2 and all 20 documents, in an order of their own.
          const chosen = shuffle(ids, next).slice(0, 2 + Math.floor(next() * (DOCS - 1)))
          const delta = 1 + Math.floor(next() * 100)
          await commitOnce(committer, n, chosen, delta)
          for (const id of chosen) {
            const e = expected.get(id)!
            expected.set(id, { total: e.total + delta, commits: e.commits + 1 })
          }
        }
      }),
    )

    const stored = await store.find('counters', {}, { sort: { _id: 1 } })
    expect(stored).toEqual(ids.filter((id) => expected.get(id)!.commits > 0).map((id) => ({ _id: id, ...expected.get(id)! })))
    expect(seen.deadlocks).toBe(0)
    // The committers really overlapped: some compare-and-sets lost and were redone.
    expect(conflicts).toBeGreaterThan(0)
    expect(await store.listCheckpoints('committer-')).toEqual(new Map(Array.from({ length: COMMITTERS }, (_, i) => [`committer-${i}`, BigInt(COMMITS)])))
    console.log(`concurrent commits (seed ${seed}): ${COMMITTERS * COMMITS} commits, ${conflicts} conflicts retried, ${Date.now() - started} ms`)
  }, 120_000)

  it('never deadlocks when one commit deletes what another updates, in the opposite order', async () => {
    const ROUNDS = 40
    const seen = countDeadlocks()
    for (let round = 0; round < ROUNDS; round++) {
      const collection = `swap-${round}`
      await store.commit({ writes: [put(collection, 'a', { v: 0 }, 0), put(collection, 'z', { v: 0 }, 0)] })

      // One statement per kind of write: without one lock order, each would hold the row the other deletes.
      const results = await Promise.allSettled([
        store.commit({ writes: [{ kind: 'delete', collection, id: 'z', expectedRevision: 1 }, put(collection, 'a', { v: 1 }, 1)] }),
        store.commit({ writes: [{ kind: 'delete', collection, id: 'a', expectedRevision: 1 }, put(collection, 'z', { v: 2 }, 1)] }),
      ])

      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
      expect(refused.filter((reason) => !(reason instanceof DocumentConflictError))).toEqual([])
      // Both touch both documents: exactly one can win the compare-and-sets.
      expect(refused).toHaveLength(1)
      const left = await store.find(collection)
      expect(left).toEqual(results[0].status === 'fulfilled' ? [{ _id: 'a', v: 1 }] : [{ _id: 'z', v: 2 }])
    }
    expect(seen.deadlocks).toBe(0)
  }, 60_000)

  it.each([
    // Rerun write by write once the other writer committed, the commit finds a stored: a plain compare-and-set miss.
    ['in bulk', [], 'after', { id: 'a', cause: undefined }],
    // (A delete that expects no document is a check the bulk statements cannot make.)
    // (Settled while nothing it wrote has moved yet: named after the write PostgreSQL stopped.)
    ['write by write', [{ kind: 'delete', collection: 'new-docs', id: 'absent', expectedRevision: 0 } as const], 'before', { id: 'b', cause: expect.objectContaining({ code: '40P01' }) }],
  ])('fails a commit that PostgreSQL aborts to break a deadlock with a DocumentConflictError (%s)', async (_label, extra, settles, conflict) => {
    const collection = 'new-docs'
    const other = await pool.connect()
    const seen = countDeadlocks()
    try {
      // Another writer, outside the store, that inserts the same new documents in the other order.
      const insert = (id: string) =>
        other.query(
          `INSERT INTO ${quoteIdent(schema)}.eventfold_documents (collection, id, doc, revision, positions) VALUES ($1, $2, $3, 1, '{}')`,
          [collection, id, JSON.stringify({ _id: id, by: 'other' })],
        )
      await other.query('BEGIN')
      await insert('b')
      const [{ pid }] = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }]

      const commit = store.commit({ writes: [put(collection, 'a', { by: 'store' }, 0), put(collection, 'b', { by: 'store' }, 0), ...extra] })
      const outcome = commit.then(
        () => undefined,
        (error: unknown) => error,
      )
      // The commit inserted a and waits for b; the other writer now waits for a. The commit waited
      // first, so its deadlock_timeout runs out first: PostgreSQL aborts the commit, not the other writer.
      for (;;) {
        const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))', [pid])
        if (rows[0]!.n > 0) break
        await sleep(10)
      }
      await insert('a')
      const early = settles === 'before' ? await outcome : undefined
      await other.query('COMMIT')

      const error = early ?? (await outcome)
      expect(error).toBeInstanceOf(DocumentConflictError)
      expect(error).toMatchObject({ collection, id: conflict.id, expectedRevision: 0 })
      expect((error as Error).cause).toEqual(conflict.cause)
      expect(seen.deadlocks).toBe(1)
      expect(await store.find(collection, {}, { sort: { _id: 1 } })).toEqual([
        { _id: 'a', by: 'other' },
        { _id: 'b', by: 'other' },
      ])
    } finally {
      await other.query('ROLLBACK').catch(() => undefined)
      other.release()
      await store.dropCollection(collection)
    }
  }, 30_000)
})
