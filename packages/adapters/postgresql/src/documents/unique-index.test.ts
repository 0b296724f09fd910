import { describe, expect, it } from '@jest/globals'
import { InvalidDocumentOperationError } from '@eventfold/projections'
import { UNIQUE_INDEX_PREFIX, uniqueIndexSql } from './unique-index'

describe('uniqueIndexSql', () => {
  it('indexes the jsonb value at each path, a missing field as null, for the collection only', () => {
    const sql = uniqueIndexSql('"s".eventfold_documents', { collection: "o'brien", keys: { tenant: 1, 'profile.email': -1 }, unique: true })

    expect(sql.sqlName).toMatch(new RegExp(`^${UNIQUE_INDEX_PREFIX}[0-9a-f]{24}$`))
    expect(sql.expressions).toBe(
      "coalesce(doc #> ARRAY['tenant']::text[], 'null'::jsonb), coalesce(doc #> ARRAY['profile', 'email']::text[], 'null'::jsonb)",
    )
    expect(sql.create).toContain(`CREATE UNIQUE INDEX IF NOT EXISTS "${sql.sqlName}" ON "s".eventfold_documents`)
    expect(sql.create).toContain("WHERE collection = 'o''brien'")
  })

  it('names an index by its collection and paths, not their order of declaration or direction', () => {
    const a = uniqueIndexSql('t', { collection: 'users', keys: { email: 1 }, unique: true })
    const b = uniqueIndexSql('t', { collection: 'users', keys: { email: -1 }, unique: true })
    const c = uniqueIndexSql('t', { collection: 'admins', keys: { email: 1 }, unique: true })

    expect(a.sqlName).toBe(b.sqlName)
    expect(a.sqlName).not.toBe(c.sqlName)
  })

  it.each([
    ['no keys', {}],
    ['an empty path segment', { 'a..b': 1 }],
    ['an operator as a path', { $where: 1 }],
  ] as const)('refuses %s', (_label, keys) => {
    expect(() => uniqueIndexSql('t', { collection: 'users', keys, unique: true })).toThrow(InvalidDocumentOperationError)
  })
})
