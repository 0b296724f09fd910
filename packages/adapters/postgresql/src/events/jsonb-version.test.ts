import { describe, expect, it } from '@jest/globals'
import { jsonbSchemaVersion } from './jsonb-version'

/** `value` printed as PostgreSQL prints jsonb: object keys shortest first (then by bytes), `": "` and `", "`. */
const asJsonb = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(asJsonb).join(', ')}]`
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))
  return `{${keys.map((key) => `${JSON.stringify(key)}: ${asJsonb(record[key])}`).join(', ')}}`
}

describe('jsonbSchemaVersion', () => {
  it.each([
    ['standard fields', { eventId: 'e', occurredAt: 't', schemaVersion: 3 }],
    ['user fields before and after', { a: 1, tenant: 't', schemaVersion: 2, zzzzzzzzzzzzzzzzzzzz: true }],
    ['a nested version before the top-level one', { a: { schemaVersion: 9 }, schemaVersion: 4 }],
    ['a nested version after it', { schemaVersion: 5, nested_object_key: { schemaVersion: 9 } }],
    ['strings that hold quotes, braces and the key', { b: 'x"}{schemaVersion": 7', c: '\\', schemaVersion: 6 }],
    ['arrays of objects', { a: [{ schemaVersion: 8 }, [1, '"]'], {}], schemaVersion: 1 }],
    ['a version of zero', { tenant: 't', schemaVersion: 0 }],
    ['nine digits', { schemaVersion: 123456789 }],
  ])('finds the top-level version among %s', (_, metadata) => {
    const text = asJsonb(metadata)

    expect(jsonbSchemaVersion(text)).toBe(JSON.parse(text).schemaVersion)
  })

  it.each([
    ['no version', { tenant: 't' }],
    ['only a nested version', { a: { schemaVersion: 9 }, tenant: 't' }],
    ['a version in a string', { a: '"schemaVersion": 9', b: 1 }],
    ['a string version', { schemaVersion: '2' }],
    ['a fractional version', { schemaVersion: 1.5 }],
    ['a negative version', { schemaVersion: -1 }],
    ['ten digits', { schemaVersion: 1234567890 }],
    ['an object version', { schemaVersion: { v: 1 } }],
    ['an empty object', {}],
  ])('gives null (the metadata is parsed) for %s', (_, metadata) => {
    expect(jsonbSchemaVersion(asJsonb(metadata))).toBeNull()
  })

  it.each(['', '[]', '{"schemaVersion":1}', '{"a": 1,"schemaVersion": 1}', '{"a": "unterminated', '{"a": {"b": 1, "schemaVersion": 1}', 'null'])(
    'gives null for text not in jsonb’s form: %s',
    (text) => {
      expect(jsonbSchemaVersion(text)).toBeNull()
    },
  )
})
