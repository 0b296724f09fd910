import { describe, expect, it } from '@jest/globals'
import { SerializationError, toJson } from '@eventfold/core'
import { documentToJson } from './document-json'

class Money {
  constructor(
    readonly amount: number,
    readonly currency: string,
  ) {}
}

describe('documentToJson', () => {
  it.each<[string, object]>([
    ['a plain document', { _id: 'a', n: -1.5, s: 'zürich', b: true, z: null, a: [1, 'x', { k: null }], o: {} }],
    ['a document with a valid Date', { _id: 'a', at: new Date('2024-01-02T03:04:05.000Z') }],
    ['a document with an undefined field', { _id: 'a', gone: undefined }],
    ['a document holding a class instance', { _id: 'a', price: new Money(5, 'EUR') }],
    ['a document with a null-prototype object', { _id: 'a', o: Object.assign(Object.create(null), { k: 1 }) }],
    ['a document with an object whose toJSON returns null', { _id: 'a', o: { toJSON: () => null } }],
  ])('writes %s as JSON.stringify does', (_label, doc) => {
    expect(documentToJson(doc, 'c/a')).toBe(JSON.stringify(doc))
  })

  it.each<[string, object]>([
    ['NaN', { _id: 'a', n: Number.NaN }],
    ['Infinity in an array', { _id: 'a', a: [1, Number.POSITIVE_INFINITY] }],
    ['undefined in an array', { _id: 'a', a: [1, undefined] }],
    ['a BigInt', { _id: 'a', n: 1n }],
    ['a function', { _id: 'a', f: () => 1 }],
    ['a symbol', { _id: 'a', s: Symbol('s') }],
    ['a Map', { _id: 'a', m: new Map([[1, 2]]) }],
    ['a Set', { _id: 'a', s: new Set([1]) }],
    ['an invalid Date', { _id: 'a', at: new Date('nope') }],
    ['a cycle', (() => { const o: Record<string, unknown> = { _id: 'a' }; o.self = o; return o })()],
  ])('refuses %s as toJson does', (_label, doc) => {
    expect(() => toJson(doc, 'c/a')).toThrow(SerializationError)
    expect(() => documentToJson(doc, 'c/a')).toThrow(SerializationError)
  })
})
