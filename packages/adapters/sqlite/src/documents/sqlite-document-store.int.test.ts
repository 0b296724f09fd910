import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { DocumentConflictError, DuplicateDocumentError, InvalidDocumentOperationError } from '@eventfold/projections'
import { type DocumentWrite } from '@eventfold/projections/spi'
import { documentStoreContract } from '@eventfold/projections/testing'
import { SerializationError, StoreClosedError } from '@eventfold/core'
import { tempDir, type TempDir } from '../test-support/temp-dir'
import { SqliteDocumentStore } from './sqlite-document-store'

/** What `sqlite3 <file>` sees: a connection of its own, reading the view named after the read model. */
const readPublishedWithSql = (path: string) => async (name: string) => {
  const outside = new Database(path, { readonly: true })
  try {
    const rows = outside.prepare<[], { id: string; doc: string }>(`SELECT id, doc FROM "${name}"`).all()
    return rows.map((r) => ({ ...JSON.parse(r.doc), _id: r.id }))
  } finally {
    outside.close()
  }
}

documentStoreContract('SqliteDocumentStore opened on its own file', async () => {
  const dir = tempDir()
  const path = dir.file('documents.db')
  return { store: SqliteDocumentStore.open(path), readPublished: readPublishedWithSql(path), teardown: async () => dir.remove() }
})

documentStoreContract('SqliteDocumentStore on a shared WAL handle', async () => {
  const dir = tempDir()
  const db = openWal(dir.file('shared.db'))
  return {
    store: new SqliteDocumentStore(db),
    readPublished: readPublishedWithSql(dir.file('shared.db')),
    teardown: async () => {
      db.close()
      dir.remove()
    },
  }
})

function openWal(path: string): Database.Database {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  return db
}

const put = (collection: string, doc: { _id: string; [k: string]: unknown }, expectedRevision = 0): DocumentWrite => ({
  kind: 'put',
  collection,
  doc,
  meta: { revision: expectedRevision + 1, positions: { '0/1': '9223372036854775809' } },
  expectedRevision,
})

describe('SqliteDocumentStore on a file', () => {
  let dir: TempDir
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(() => {
    dir.remove()
  })

  it('refuses to publish a read model under the name of one of its tables, and stores nothing of the commit', async () => {
    const store = SqliteDocumentStore.open(dir.file('documents.db'))
    try {
      await expect(
        store.commit({ writes: [put('c', { _id: 'x' })], publish: [{ name: 'eventfold_documents', collection: 'c' }] }),
      ).rejects.toMatchObject({ type: 'invalid-document-operation', collection: 'eventfold_documents' })
      expect(await store.get('c', 'x')).toBeUndefined()
    } finally {
      await store.close()
    }
  })

  it('keeps a commit, its checkpoint and its unique indexes after the file is closed and reopened', async () => {
    const path = dir.file('documents.db')
    const first = SqliteDocumentStore.open(path)
    await first.ensureIndexes([{ collection: 'users', keys: { email: 1 }, unique: true }])
    await first.commit({
      writes: [put('users', { _id: 'u1', email: 'ann@example.com', tags: ['a'] }), put('users', { _id: 'u2', email: 'bob@example.com' })],
      checkpoint: { name: 'users:0/1', position: 2n ** 63n + 1n },
    })
    await first.close()

    const reopened = SqliteDocumentStore.open(path)
    try {
      expect(await reopened.find('users', {}, { sort: { _id: 1 } })).toEqual([
        { _id: 'u1', email: 'ann@example.com', tags: ['a'] },
        { _id: 'u2', email: 'bob@example.com' },
      ])
      expect((await reopened.getMany('users', ['u1'])).get('u1')?.meta).toEqual({ revision: 1, positions: { '0/1': '9223372036854775809' } })
      expect(await reopened.readCheckpoint('users:0/1')).toBe(2n ** 63n + 1n)
      await expect(reopened.commit({ writes: [put('users', { _id: 'u3', email: 'ann@example.com' })] })).rejects.toBeInstanceOf(DuplicateDocumentError)
    } finally {
      await reopened.close()
    }
  })

  it('opens an in-memory database for tests', async () => {
    const store = SqliteDocumentStore.open(':memory:')

    await store.commit({ writes: [put('c', { _id: 'x' })], checkpoint: { name: 'p', position: 3n } })

    expect(await store.get('c', 'x')).toEqual({ _id: 'x' })
    expect(await store.readCheckpoint('p')).toBe(3n)
    await store.close()
  })

  it('leaves a handle it was given open when it closes', async () => {
    const db = openWal(dir.file('shared.db'))
    const store = new SqliteDocumentStore(db)

    await store.close()

    expect(db.open).toBe(true)
    expect(db.prepare('SELECT count(*) FROM eventfold_documents').pluck().get()).toBe(0)
    db.close()
  })

  it('refuses to work once closed', async () => {
    const store = SqliteDocumentStore.open(dir.file('documents.db'))
    await store.close()
    await store.close()

    await expect(store.get('users', 'u1')).rejects.toBeInstanceOf(StoreClosedError)
    await expect(store.commit({ writes: [] })).rejects.toBeInstanceOf(StoreClosedError)
  })

  it('shares a file with other stores: two stores on one handle see each other’s commits', async () => {
    const db = openWal(dir.file('shared.db'))
    const a = new SqliteDocumentStore(db)
    const b = new SqliteDocumentStore(db)

    await a.commit({ writes: [put('c', { _id: 'x' })], checkpoint: { name: 'p', position: 1n } })

    expect(await b.get('c', 'x')).toEqual({ _id: 'x' })
    expect(await b.readCheckpoint('p')).toBe(1n)
    db.close()
  })

  it('refuses a unique index over documents that already collide, naming one of them', async () => {
    const store = SqliteDocumentStore.open(dir.file('documents.db'))
    try {
      await store.commit({ writes: [put('users', { _id: 'u1', email: 'ann@example.com' }), put('users', { _id: 'u2', email: 'ann@example.com' })] })

      const ensuring = store.ensureIndexes([{ collection: 'users', keys: { email: 1 }, unique: true }])

      await expect(ensuring).rejects.toBeInstanceOf(DuplicateDocumentError)
      await expect(ensuring).rejects.toMatchObject({ collection: 'users', id: expect.stringMatching(/^u[12]$/) })
      await expect(store.commit({ writes: [put('users', { _id: 'u3', email: 'ann@example.com' })] })).resolves.toEqual({ writes: 1 })
    } finally {
      await store.close()
    }
  })

  it.each<[string, unknown, unknown]>([
    ['a string and a number', '1', 1],
    ['an object and its JSON text', { a: 1 }, '{"a":1}'],
    ['true and 1', true, 1],
  ])('keeps %s apart in a unique index', async (_label, one, other) => {
    const store = SqliteDocumentStore.open(dir.file('documents.db'))
    try {
      await store.ensureIndexes([{ collection: 'c', keys: { k: 1 }, unique: true }])

      await store.commit({ writes: [put('c', { _id: 'x', k: one }), put('c', { _id: 'y', k: other })] })

      expect(await store.count('c')).toBe(2)
    } finally {
      await store.close()
    }
  })

  it('treats a missing field and null as the same key in a unique index, as MongoDB does', async () => {
    const store = SqliteDocumentStore.open(dir.file('documents.db'))
    try {
      await store.ensureIndexes([{ collection: 'c', keys: { k: 1 }, unique: true }])

      const commit = store.commit({ writes: [put('c', { _id: 'x' }), put('c', { _id: 'y', k: null })] })

      await expect(commit).rejects.toMatchObject({ collection: 'c', id: 'y' })
      expect(await store.count('c')).toBe(0)
    } finally {
      await store.close()
    }
  })

  it('reports a conflict, not a duplicate, when a create hits an existing id whose unique value also collides', async () => {
    const store = SqliteDocumentStore.open(dir.file('documents.db'))
    try {
      await store.ensureIndexes([{ collection: 'users', keys: { email: 1 }, unique: true }])
      await store.commit({ writes: [put('users', { _id: 'u1', email: 'ann@example.com' }), put('users', { _id: 'u2', email: 'bob@example.com' })] })

      const commit = store.commit({ writes: [put('users', { _id: 'u2', email: 'ann@example.com' })] })

      await expect(commit).rejects.toBeInstanceOf(DocumentConflictError)
      await expect(commit).rejects.toMatchObject({ collection: 'users', id: 'u2', expectedRevision: 0, actualRevision: 1 })
    } finally {
      await store.close()
    }
  })

  it('refuses a document JSON cannot represent, before writing anything', async () => {
    const store = SqliteDocumentStore.open(dir.file('documents.db'))
    try {
      const commit = store.commit({
        writes: [put('c', { _id: 'ok' }), put('c', { _id: 'bad', ratio: Number.NaN })],
        checkpoint: { name: 'p', position: 1n },
      })

      await expect(commit).rejects.toBeInstanceOf(SerializationError)
      await expect(commit).rejects.toMatchObject({ path: 'c/bad.ratio' })
      expect(await store.count('c')).toBe(0)
      expect(await store.readCheckpoint('p')).toBeUndefined()
    } finally {
      await store.close()
    }
  })

  it.each(['a..b', 'a"b', '$where', ''])('rejects a unique index on the path %j', async (path) => {
    const store = SqliteDocumentStore.open(dir.file('documents.db'))
    try {
      await expect(store.ensureIndexes([{ collection: 'c', keys: { [path]: 1 }, unique: true }])).rejects.toBeInstanceOf(InvalidDocumentOperationError)
    } finally {
      await store.close()
    }
  })

  it('indexes field names with quotes and spaces', async () => {
    const store = SqliteDocumentStore.open(dir.file('documents.db'))
    try {
      await store.ensureIndexes([{ collection: "o'neil", keys: { "it's here": 1 }, unique: true }])
      await store.commit({ writes: [put("o'neil", { _id: 'x', "it's here": 1 })] })

      await expect(store.commit({ writes: [put("o'neil", { _id: 'y', "it's here": 1 })] })).rejects.toBeInstanceOf(DuplicateDocumentError)
    } finally {
      await store.close()
    }
  })
})
