import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import Database from 'better-sqlite3'
import { SqliteDocumentStore } from './documents'
import { SqliteEventStore } from './sqlite-event-store'
import { openSqlite, type SqliteConnection, type SqliteSynchronous } from './sqlite-connection'
import { tempDir, type TempDir } from './test-support/temp-dir'

describe('openSqlite', () => {
  let dir: TempDir
  const opened: SqliteConnection[] = []
  const open = (...args: Parameters<typeof openSqlite>): SqliteConnection => {
    const connection = openSqlite(...args)
    opened.push(connection)
    return connection
  }
  const pragma = (c: SqliteConnection, name: string): unknown => c.db.pragma(name, { simple: true })

  beforeEach(() => {
    dir = tempDir()
  })

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()))
    dir.remove()
  })

  it('opens the file in WAL mode, synchronous FULL and a 5 s busy timeout by default', () => {
    const sqlite = open(dir.file('app.db'))

    expect(pragma(sqlite, 'journal_mode')).toBe('wal')
    expect(pragma(sqlite, 'synchronous')).toBe(2)
    expect(pragma(sqlite, 'busy_timeout')).toBe(5000)
  })

  it.each<[SqliteSynchronous, number]>([
    ['normal', 1],
    ['full', 2],
    ['extra', 3],
  ])('sets synchronous %s when asked', (synchronous, level) => {
    expect(pragma(open(dir.file('app.db'), { synchronous }), 'synchronous')).toBe(level)
  })

  it('sets the busy timeout it is given', () => {
    expect(pragma(open(dir.file('app.db'), { busyTimeoutMs: 1234 }), 'busy_timeout')).toBe(1234)
  })

  it('refuses an unknown synchronous setting', () => {
    expect(() => open(dir.file('app.db'), { synchronous: 'off' as SqliteSynchronous })).toThrow(RangeError)
  })

  it('opens an in-memory database, which cannot use WAL', () => {
    const sqlite = open(':memory:')

    expect(pragma(sqlite, 'journal_mode')).toBe('memory')
    expect(sqlite.isOpen).toBe(true)
  })

  it('makes a second writer wait for the busy timeout, then fail with SQLITE_BUSY', () => {
    const first = open(dir.file('app.db'))
    const second = open(dir.file('app.db'), { busyTimeoutMs: 150 })
    first.db.exec('CREATE TABLE t (n INTEGER) STRICT')
    const started = Date.now()

    first.immediate(() => {
      expect(() => second.immediate(() => second.db.exec('INSERT INTO t VALUES (1)'))).toThrow(
        expect.objectContaining({ code: 'SQLITE_BUSY' }) as unknown as Error,
      )
    })

    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  describe('migrate', () => {
    const version = (c: SqliteConnection, module: string) =>
      c.db.prepare('SELECT version FROM eventfold_schema WHERE module = ?').pluck().get(module)
    const tables = (c: SqliteConnection) =>
      c.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'm_%' ORDER BY name").pluck().all()

    it('runs each step once, also across reopenings, and records the version', async () => {
      const one = ['CREATE TABLE m_one (a INTEGER) STRICT']
      const first = open(dir.file('app.db'))
      first.migrate('test.module', one)
      first.migrate('test.module', one)
      await first.close()

      const again = open(dir.file('app.db'))
      again.migrate('test.module', [...one, 'CREATE TABLE m_two (b INTEGER) STRICT'])

      expect(tables(again)).toEqual(['m_one', 'm_two'])
      expect(version(again, 'test.module')).toBe(2)
    })

    it('keeps modules apart', () => {
      const sqlite = open(dir.file('app.db'))
      sqlite.migrate('a', ['CREATE TABLE m_a (x INTEGER) STRICT'])
      sqlite.migrate('b', ['CREATE TABLE m_b (x INTEGER) STRICT', 'CREATE TABLE m_b2 (x INTEGER) STRICT'])

      expect([version(sqlite, 'a'), version(sqlite, 'b')]).toEqual([1, 2])
    })

    it('rolls back every step of a run when one fails', () => {
      const sqlite = open(dir.file('app.db'))

      expect(() => sqlite.migrate('test.module', ['CREATE TABLE m_one (a INTEGER) STRICT', 'NOT SQL AT ALL'])).toThrow()

      expect(tables(sqlite)).toEqual([])
      expect(version(sqlite, 'test.module')).toBeUndefined()
    })

    it('refuses a file whose schema is newer than the code', () => {
      const sqlite = open(dir.file('app.db'))
      sqlite.migrate('test.module', ['CREATE TABLE m_one (a INTEGER) STRICT', 'CREATE TABLE m_two (a INTEGER) STRICT'])

      expect(() => sqlite.migrate('test.module', ['CREATE TABLE m_one (a INTEGER) STRICT'])).toThrow(/newer than this code/)
    })
  })

  describe('immediate', () => {
    it('commits when the work returns and rolls back when it throws', () => {
      const sqlite = open(dir.file('app.db'))
      sqlite.db.exec('CREATE TABLE t (n INTEGER) STRICT')
      const count = () => sqlite.db.prepare('SELECT count(*) FROM t').pluck().get()

      expect(sqlite.immediate(() => sqlite.db.prepare('INSERT INTO t VALUES (1)').run().changes)).toBe(1)
      expect(() =>
        sqlite.immediate(() => {
          sqlite.db.exec('INSERT INTO t VALUES (2)')
          throw new Error('changed my mind')
        }),
      ).toThrow('changed my mind')

      expect(count()).toBe(1)
    })
  })

  describe('close', () => {
    it('runs the close hooks before it closes the file, once', async () => {
      const sqlite = open(dir.file('app.db'))
      const calls: string[] = []
      sqlite.onClose(async () => {
        calls.push(`hook saw the file ${sqlite.db.open ? 'open' : 'closed'}`)
      })
      const unregistered = sqlite.onClose(() => {
        calls.push('unregistered hook')
      })
      unregistered()

      await Promise.all([sqlite.close(), sqlite.close()])
      await sqlite.close()

      expect(calls).toEqual(['hook saw the file open'])
      expect(sqlite.db.open).toBe(false)
      expect(sqlite.isOpen).toBe(false)
    })

    it('refuses use after close with a StoreClosedError', async () => {
      const sqlite = open(dir.file('app.db'))
      await sqlite.close()

      expect(() => sqlite.assertOpen('my store')).toThrow(
        expect.objectContaining({ type: 'store-closed', store: 'my store' }) as unknown as Error,
      )
      expect(() => sqlite.migrate('test.module', [])).toThrow(expect.objectContaining({ type: 'store-closed' }) as unknown as Error)
    })
  })
})

describe('openSqlite with readOnly', () => {
  let dir: TempDir
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(() => dir.remove())

  const eventfoldFile = async (name: string): Promise<string> => {
    const writer = openSqlite(dir.file(name))
    const events = new SqliteEventStore(writer)
    await events.appendToStream('Account-1', [{ type: 'Opened', data: {} }])
    await writer.close()
    return dir.file(name)
  }

  it('reads an eventfold file without writing to it', async () => {
    const file = await eventfoldFile('app.db')
    const before = readFileSync(file)
    const reader = openSqlite(file, { readOnly: true })
    try {
      expect(reader.readOnly).toBe(true)
      expect(await new SqliteEventStore(reader).streamRevision('Account-1')).toBe(0n)
      // The document tables were never created: a read-only connection does not create them either.
      expect(() => new SqliteDocumentStore(reader)).toThrow(expect.objectContaining({ type: 'sqlite-schema-missing', module: 'eventfold.documents' }))
    } finally {
      await reader.close()
    }
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it.each([
    ['a file that does not exist', (_file: string) => undefined, 'does not exist'],
    ['an empty file', (file: string) => writeFileSync(file, ''), 'is empty, not an eventfold database'],
    ['a directory', (file: string) => mkdirSync(file), 'is not a file'],
    [
      "another application's SQLite file",
      (file: string) => {
        const other = new Database(file)
        other.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY)')
        other.close()
      },
      'is not an eventfold database (it has no eventfold_schema table)',
    ],
    ['a text file', (file: string) => writeFileSync(file, 'not a database, just some text that is long enough to have a header\n'.repeat(20)), 'is not an SQLite database'],
  ])('refuses %s with a PermanentStoreError naming it, creating nothing', (_name, make, problem) => {
    const file = dir.file('app.db')
    make(file)
    const before = readdirSync(dir.path)
    let error: unknown
    try {
      openSqlite(file, { readOnly: true })
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ type: 'permanent-store', location: file })
    expect((error as Error).message).toContain(`SQLite file ${file} ${problem}`)
    expect(readdirSync(dir.path)).toEqual(before)
  })

  it('turns a write through a read-only file into a PermanentStoreError', async () => {
    const file = await eventfoldFile('app.db')
    const reader = openSqlite(file, { readOnly: true })
    try {
      await expect(new SqliteEventStore(reader).appendToStream('Account-2', [{ type: 'Opened', data: {} }])).rejects.toMatchObject({
        type: 'permanent-store',
        location: file,
        code: 'SQLITE_READONLY',
      })
    } finally {
      await reader.close()
    }
  })
})
