import { describe, expect, it } from '@jest/globals'
import { PostgresDocumentStore } from '../documents/postgres-document-store'
import { PostgresEventStore } from '../events/postgres-event-store'
import { MAX_IDENTIFIER_BYTES, quoteIdent, quoteLiteral } from './identifiers'

describe('quoteIdent', () => {
  it('quotes a name of up to 63 bytes', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"')
    expect(quoteIdent('é'.repeat(31) + 'x')).toHaveLength(34)
  })

  it.each([
    ['longer than 63 bytes', 'a'.repeat(MAX_IDENTIFIER_BYTES + 1)],
    ['63 characters but more bytes', 'é'.repeat(32)],
    ['with NUL', 'a\0b'],
  ])('refuses a name %s with a ValidationError, instead of letting PostgreSQL truncate it', (_, name) => {
    expect(() => quoteIdent(name)).toThrow(expect.objectContaining({ type: 'validation' }))
  })
})

describe('quoteLiteral', () => {
  it('doubles quotes', () => {
    expect(quoteLiteral("o'brien")).toBe("'o''brien'")
  })

  it('writes a value with a backslash in the E form, which standard_conforming_strings does not change', () => {
    expect(quoteLiteral("a\\'; DROP")).toBe(" E'a\\\\''; DROP'")
  })
})

describe('stores on a schema PostgreSQL would truncate', () => {
  it.each([
    ['PostgresEventStore', (schema: string) => new PostgresEventStore('postgres://user@127.0.0.1:1/none', { schema })],
    ['PostgresDocumentStore', (schema: string) => new PostgresDocumentStore('postgres://user@127.0.0.1:1/none', { schema })],
  ])('%s refuses the schema name up front', (_, open) => {
    expect(() => open(`tenant_${'x'.repeat(60)}_a`)).toThrow(expect.objectContaining({ type: 'validation' }))
  })
})
