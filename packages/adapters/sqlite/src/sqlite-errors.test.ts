import { describe, expect, it } from '@jest/globals'
import Database from 'better-sqlite3'
import { translateSqliteError } from './sqlite-errors'

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

    expect(translateSqliteError(cause, attempt)).toMatchObject({
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

    expect(translateSqliteError(error, attempt)).toBe(error)
  })

  it('returns an error that does not come from the driver unchanged', () => {
    const error = new TypeError('not SQLite')

    expect(translateSqliteError(error, attempt)).toBe(error)
  })
})
