import { SerializationError } from '../index'
import { assertJsonSafe, fromJson, toJson } from '../spi'

describe('assertJsonSafe', () => {
  const circular: Record<string, unknown> = { a: 1 }
  circular.me = circular
  it.each([
    ['a BigInt', { amount: 1n }, 'data.amount'],
    ['a cycle', circular, 'data.me'],
    ['a function', { f: () => 1 }, 'data.f'],
    ['NaN', { n: Number.NaN }, 'data.n'],
    ['Infinity', [Infinity], 'data[0]'],
    ['a Map', { m: new Map() }, 'data.m'],
    ['a Set', { s: new Set([1]) }, 'data.s'],
    ['a symbol', { s: Symbol('s') }, 'data.s'],
    ['an invalid Date', { at: new Date('nope') }, 'data.at'],
    ['undefined inside an array', [1, undefined], 'data[1]'],
  ])('refuses %s, naming the path', (_, value, path) => {
    expect(() => assertJsonSafe(value, 'data', 'E')).toThrow(SerializationError)
    expect(() => assertJsonSafe(value, 'data', 'E')).toThrow(expect.objectContaining({ path, eventType: 'E' }))
  })

  it('accepts ordinary JSON, shared (non-circular) references and dates', () => {
    const shared = { x: 1 }
    expect(() => assertJsonSafe({ a: shared, b: shared, d: new Date(0), s: 'x', n: null, u: undefined })).not.toThrow()
    expect(toJson({ a: [1, 'b', true] })).toBe('{"a":[1,"b",true]}')
    // What JSON.stringify does with them is faithful enough: class instances, null prototypes, toJSON.
    class Money {
      constructor(readonly amount: number) {}
    }
    const odd = { m: new Money(5), o: Object.assign(Object.create(null), { k: 1 }), t: { toJSON: () => null }, u: undefined }
    expect(toJson(odd)).toBe(JSON.stringify(odd))
  })

  it('reports unparsable stored JSON as SerializationError', () => {
    expect(() => fromJson('{oops', 'data', 'E')).toThrow(SerializationError)
  })
})
