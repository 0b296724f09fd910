import { describe, expect, it } from '@jest/globals'
import Database from 'better-sqlite3'
import { permanentSqliteError, translateSqliteError } from './sqlite-errors'

/** A real driver error, from an in-memory database. */
const driverError = (sql: string): unknown => {
  const db = new Database(':memory:')
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, u TEXT UNIQUE, n INTEGER NOT NULL)')
  db.exec("INSERT INTO t VALUES (1, 'a', 0)")
  try {
    db.exec(sql)
  } catch (error) {
    return error
  } finally {
    db.close()
  }
  throw new Error(`'${sql}' did not fail`)
}

const attempt = { streamId: 'Account-1', expected: 3n, currentRevision: () => 4n }

describe('translateSqliteError', () => {
  it.each([
    ['a unique index', "INSERT INTO t VALUES (2, 'a', 0)", 'SQLITE_CONSTRAINT_UNIQUE'],
    ['the primary key', "INSERT INTO t VALUES (1, 'b', 0)", 'SQLITE_CONSTRAINT_PRIMARYKEY'],
  ])('turns a violation of %s into a ConcurrencyError with the stream facts', (_label, sql, code) => {
    const cause = driverError(sql)

    expect(translateSqliteError(cause, attempt, 'x.db')).toMatchObject({
      type: 'concurrency',
      streamId: 'Account-1',
      expected: 3n,
      actual: 4n,
      cause: expect.objectContaining({ code }),
    })
  })

  it.each([
    ['a NOT NULL violation', "INSERT INTO t VALUES (2, 'b', NULL)"],
    ['a syntax error', 'INSERT INTO'],
  ])('returns %s unchanged', (_label, sql) => {
    const error = driverError(sql)

    expect(translateSqliteError(error, attempt, 'x.db')).toBe(error)
  })

  it('returns an error that does not come from the driver unchanged', () => {
    const error = new TypeError('not SQLite')

    expect(translateSqliteError(error, attempt, 'x.db')).toBe(error)
  })
})

describe('permanentSqliteError', () => {
  it('turns a write refused by a read-only database into a PermanentStoreError naming the file', () => {
    const db = new Database(':memory:')
    db.exec('CREATE TABLE t (n INTEGER)')
    db.pragma('query_only = 1')
    let cause: unknown
    try {
      db.exec('INSERT INTO t VALUES (1)')
    } catch (error) {
      cause = error
    } finally {
      db.close()
    }

    expect(permanentSqliteError(cause, '/data/app.db')).toMatchObject({
      type: 'permanent-store',
      location: '/data/app.db',
      code: 'SQLITE_READONLY',
      message: 'SQLite file /data/app.db is read-only (SQLITE_READONLY)',
    })
  })

  it('leaves errors a retry may fix alone', () => {
    expect(permanentSqliteError(driverError("INSERT INTO t VALUES (2, 'a', 0)"), 'x.db')).toBeUndefined()
    expect(permanentSqliteError(new Error('not SQLite'), 'x.db')).toBeUndefined()
  })
})
