import { afterAll, afterEach, beforeAll, beforeEach, expect, it, jest } from '@jest/globals'
import { SerializationError, StoreClosedError } from '@eventfold/core'
import { DocumentConflictError, DuplicateDocumentError, type Document } from '@eventfold/projections'
import { type DocumentWrite } from '@eventfold/projections/spi'
import { documentStoreContract } from '@eventfold/projections/testing'
import pg from 'pg'
import { describePostgres, dropSchema, freshSchema, postgresUrl, testPool } from '../testing/connect'
import { PostgresDocumentStore } from './postgres-document-store'

describePostgres('PostgresDocumentStore contract', () => {
  let pool: pg.Pool
  const schema = freshSchema('documents')
  beforeAll(() => {
    pool = testPool()
  })
  afterAll(async () => {
    await dropSchema(pool, schema)
    await pool.end()
  })

  // One schema for the file: the contract tags every collection and checkpoint per test.
  // What psql sees: the view named after the read model, read on a connection of its own.
  const readPublished = async (name: string): Promise<Document[]> => {
    const outside = new pg.Client({ connectionString: postgresUrl() })
    await outside.connect()
    try {
      const { rows } = await outside.query<{ id: string; doc: Document }>(`SELECT id, doc FROM "${schema}"."${name}"`)
      return rows.map((r) => ({ ...r.doc, _id: r.id }))
    } finally {
      await outside.end()
    }
  }
  documentStoreContract('PostgresDocumentStore on a borrowed pool', async () => ({ store: new PostgresDocumentStore(pool, { schema }), readPublished }))
})

describePostgres('PostgresDocumentStore', () => {
  let pool: pg.Pool
  let schema: string
  let store: PostgresDocumentStore
  const put = (collection: string, doc: Document, expectedRevision = 0): DocumentWrite => ({
    kind: 'put',
    collection,
    doc,
    meta: { revision: expectedRevision + 1, positions: { '0/1': '18446744073709551617' } },
    expectedRevision,
  })

  /**
   * Every statement sent from now on (until the mocks are restored), as its
   * verb, with the number of documents it locks first when it starts by
   * locking some: `UPDATE (locking 3)`.
   */
  const recordQueries = (): string[] => {
    const sent: string[] = []
    const query = pg.Client.prototype.query
    jest.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const first = args[0]
      const { text = '?', values = [] } = typeof first === 'string' ? { text: first } : (first as { text?: string; values?: unknown[] })
      const [cte, body] = text.includes('FOR UPDATE OF l') ? text.split(/FOR UPDATE OF l\s*\)/) : [undefined, text]
      const verb = body!.trim().split(/\s+/)[0]!
      const locks = cte === undefined ? 0 : (JSON.parse(values[cte.includes('$2') ? 1 : 0] as string) as unknown[]).length
      sent.push(locks > 0 ? `${verb} (locking ${locks})` : verb)
      return (query as (...a: unknown[]) => unknown).apply(this, args)
    } as never)
    return sent
  }

  beforeAll(() => {
    pool = testPool()
  })
  afterAll(async () => {
    await pool.end()
  })
  beforeEach(() => {
    schema = freshSchema('docs')
    store = new PostgresDocumentStore(pool, { schema })
  })
  afterEach(async () => {
    jest.restoreAllMocks()
    await store.close()
    await dropSchema(pool, schema)
  })

  it('refuses to publish a read model under the name of one of its tables, and stores nothing of the commit', async () => {
    await expect(
      store.commit({ writes: [put('c', { _id: 'x' })], publish: [{ name: 'eventfold_documents', collection: 'c' }] }),
    ).rejects.toMatchObject({ type: 'invalid-document-operation', collection: 'eventfold_documents' })
    expect(await store.get('c', 'x')).toBeUndefined()
  })

  it('commits many documents of every kind with one statement per kind, in one transaction, the first locking them all', async () => {
    await store.commit({ writes: Array.from({ length: 600 }, (_, i) => put('c', { _id: `d${i}`, n: i })) })
    const sent = recordQueries()

    const result = await store.commit({
      writes: [
        ...Array.from({ length: 300 }, (_, i): DocumentWrite => ({ kind: 'delete', collection: 'c', id: `d${i}`, expectedRevision: 1 })),
        ...Array.from({ length: 300 }, (_, i) => put('c', { _id: `d${300 + i}`, n: -i }, 1)),
        ...Array.from({ length: 400 }, (_, i) => put('c', { _id: `e${i}`, n: i })),
      ],
      checkpoint: { name: 'p', position: 2n ** 70n },
    })

    expect(result).toEqual({ writes: 1000 })
    expect(sent).toEqual(['BEGIN', 'DELETE (locking 1000)', 'UPDATE', 'INSERT', 'INSERT', 'COMMIT'])
    expect(await store.count('c')).toBe(700)
    expect(await store.get('c', 'd301')).toEqual({ _id: 'd301', n: -1 })
    expect(await store.readCheckpoint('p')).toBe(2n ** 70n)
  })

  it('names the document a stale commit expected elsewhere without rerunning it write by write', async () => {
    await store.commit({ writes: [put('c', { _id: 'a' }), put('c', { _id: 'b' })] })
    await store.commit({ writes: [put('c', { _id: 'b', n: 1 }, 1)] })
    const sent = recordQueries()

    const commit = store.commit({ writes: [put('c', { _id: 'a', n: 2 }, 1), put('c', { _id: 'b', n: 2 }, 1), put('c', { _id: 'c' })] })

    await expect(commit).rejects.toBeInstanceOf(DocumentConflictError)
    await expect(commit).rejects.toMatchObject({ collection: 'c', id: 'b', expectedRevision: 1, actualRevision: 2 })
    expect(sent).toEqual(['BEGIN', 'UPDATE (locking 3)', 'ROLLBACK', 'SELECT'])
    expect(await store.find('c', {}, { sort: { _id: 1 } })).toEqual([{ _id: 'a' }, { _id: 'b', n: 1 }])
  })

  it('accepts writes that are valid in their order though one statement cannot apply them together', async () => {
    await store.ensureIndexes([{ collection: 'users', keys: { email: 1 }, unique: true }])
    const count = 30
    // Stored last to first, so that one UPDATE walking the table meets them in the opposite order of the commit.
    await store.commit({ writes: Array.from({ length: count }, (_, i) => put('users', { _id: `u${count - 1 - i}`, email: `e${count - 1 - i}` })) })
    const sent = recordQueries()

    // Each user takes the address the previous one gave up just before.
    await store.commit({
      writes: Array.from({ length: count }, (_, i) => put('users', { _id: `u${i}`, email: i === 0 ? 'fresh' : `e${i - 1}` }, 1)),
      checkpoint: { name: 'users', position: 1n },
    })

    expect(sent.filter((text) => text === 'ROLLBACK')).toHaveLength(1)
    const emails = new Map((await store.find('users')).map((d) => [d._id, d.email]))
    expect(emails.get('u0')).toBe('fresh')
    expect(emails.get(`u${count - 1}`)).toBe(`e${count - 2}`)
    expect(await store.readCheckpoint('users')).toBe(1n)
  })

  it('names the document that breaks a unique index in a bulk commit, and writes none of it', async () => {
    await store.ensureIndexes([{ collection: 'users', keys: { email: 1 }, unique: true }])
    await store.commit({ writes: [put('users', { _id: 'u1', email: 'ann@example.com' })] })

    const commit = store.commit({
      writes: [put('users', { _id: 'u2', email: 'bob@example.com' }), put('users', { _id: 'u3', email: 'ann@example.com' })],
    })

    await expect(commit).rejects.toBeInstanceOf(DuplicateDocumentError)
    await expect(commit).rejects.toMatchObject({ collection: 'users', id: 'u3' })
    expect(await store.count('users')).toBe(1)
  })

  it('tells a declared index that existing documents break which document', async () => {
    await store.commit({ writes: [put('users', { _id: 'u1', email: 'a' }), put('users', { _id: 'u2', email: 'a' })] })

    await expect(store.ensureIndexes([{ collection: 'users', keys: { email: 1 }, unique: true }])).rejects.toMatchObject({
      type: 'duplicate-document',
      collection: 'users',
      id: 'u2',
    })
  })

  it('keys unique indexes by JSON value: types stay apart, missing fields collide as null', async () => {
    await store.ensureIndexes([{ collection: 'users', keys: { code: 1 }, unique: true }])
    await store.commit({ writes: [put('users', { _id: 'u1', code: 1 }), put('users', { _id: 'u2', code: '1' }), put('users', { _id: 'u3' })] })

    await expect(store.commit({ writes: [put('users', { _id: 'u4', code: null })] })).rejects.toBeInstanceOf(DuplicateDocumentError)
    await expect(store.commit({ writes: [put('users', { _id: 'u5', code: 1 })] })).rejects.toBeInstanceOf(DuplicateDocumentError)
    expect(await store.count('users')).toBe(3)
  })

  it('refuses a document jsonb cannot hold, as every store does, and an unrepresentable one before sending it', async () => {
    await expect(store.commit({ writes: [put('c', { _id: 'a', text: 'nul \u0000' })] })).rejects.toMatchObject({
      type: 'invalid-document-operation',
      collection: 'c',
      id: 'a',
    })
    await expect(store.commit({ writes: [put('c', { _id: 'b', n: 10n })] })).rejects.toBeInstanceOf(SerializationError)
    expect(await store.count('c')).toBe(0)
  })

  it('keeps documents, checkpoints and unique indexes for the next store on the schema', async () => {
    await store.ensureIndexes([{ collection: 'users', keys: { email: 1 }, unique: true }])
    await store.commit({ writes: [put('users', { _id: 'u1', email: 'a' })], checkpoint: { name: 'users:0/1', position: 2n ** 63n + 1n } })
    await store.close()

    store = new PostgresDocumentStore(pool, { schema })

    expect((await store.getMany('users', ['u1'])).get('u1')).toEqual({
      doc: { _id: 'u1', email: 'a' },
      meta: { revision: 1, positions: { '0/1': '18446744073709551617' } },
    })
    expect(await store.readCheckpoint('users:0/1')).toBe(2n ** 63n + 1n)
    await expect(store.commit({ writes: [put('users', { _id: 'u2', email: 'a' })] })).rejects.toBeInstanceOf(DuplicateDocumentError)
  })

  it('refuses every operation after close', async () => {
    await store.close()

    await expect(store.get('c', 'a')).rejects.toBeInstanceOf(StoreClosedError)
    await expect(store.commit({ writes: [put('c', { _id: 'a' })] })).rejects.toBeInstanceOf(StoreClosedError)
    await expect(store.listCollections()).rejects.toBeInstanceOf(StoreClosedError)
  })
})
