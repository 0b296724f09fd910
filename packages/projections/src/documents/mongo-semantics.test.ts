import { describe, expect, it } from '@jest/globals'
import * as updateOperators from 'mingo/operators/update'
import { seededRandom } from '@eventfold/core/testing'
import type { Document, UpdateSpec } from './document'
import { applyUpdate, clonePlain } from './mongo-semantics'

// applyUpdate applies simple $set/$inc updates without mingo; mingo defines
// the semantics, so both must give the same document, key order included.

type AnyObject = Record<string, unknown>

const throughMingo = (doc: AnyObject, spec: UpdateSpec): AnyObject | Error => {
  const out = structuredClone(doc)
  try {
    for (const [op, expr] of Object.entries(spec)) {
      if (expr === undefined) continue
      ;(updateOperators as unknown as Record<string, (e: unknown) => (o: AnyObject) => unknown>)[op]!(expr)(out)
    }
    return out
  } catch (error) {
    return error as Error
  }
}

const throughApplyUpdate = (doc: AnyObject, spec: UpdateSpec): AnyObject | Error => {
  try {
    return applyUpdate('c', 'x', structuredClone(doc) as Document, spec, false, { inPlace: true }) as AnyObject
  } catch (error) {
    return error as Error
  }
}

describe('applyUpdate', () => {
  it('gives what mingo gives for $set and $inc updates (2,000 generated cases)', () => {
    const rand = seededRandom(7)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
    const fields = ['a', 'b', 'c', 'n.m', '$x', '__proto__']
    const values: unknown[] = [0, -0, 1, -2.5, 1e308, Number.NaN, 'text', '', true, null, { o: 1 }, [1, 2], undefined]
    for (let i = 0; i < 2000; i++) {
      const doc: AnyObject = { _id: 'x' }
      for (const f of ['a', 'b', 'c']) if (rand() < 0.6) doc[f] = pick(values.filter((v) => v !== undefined))
      const spec: Record<string, AnyObject> = {}
      for (const op of ['$set', '$inc']) {
        if (rand() < 0.6) {
          const expr: AnyObject = {}
          for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
            const value = op === '$inc' ? (rand() < 0.9 ? pick([1, -1, 2.5, 0, -0, 1e308]) : pick(values)) : pick(values)
            // Own keys only, as JSON.parse makes them (even `__proto__`).
            Object.defineProperty(expr, pick(fields.slice(0, rand() < 0.9 ? 3 : fields.length)), {
              value,
              enumerable: true,
              writable: true,
              configurable: true,
            })
          }
          spec[op] = expr
        }
      }
      if (Object.keys(spec).length === 0) spec.$inc = { a: 1 }
      const expected = throughMingo(doc, spec as UpdateSpec)
      const actual = throughApplyUpdate(doc, spec as UpdateSpec)
      if (expected instanceof Error) {
        expect(actual).toBeInstanceOf(Error)
        continue
      }
      expect(actual).toEqual(expected)
      expect(Object.keys(actual as AnyObject)).toEqual(Object.keys(expected))
      for (const k of Object.keys(expected)) expect(Object.is((actual as AnyObject)[k], expected[k]) || typeof expected[k] === 'object').toBe(true)
    }
  })

  it('leaves a non-numeric field as it is under $inc, as mingo does', () => {
    const doc = applyUpdate('c', 'x', { _id: 'x', a: 'text', b: 1 }, { $inc: { a: 1, b: 2 } }, false)
    expect(doc).toEqual({ _id: 'x', a: 'text', b: 3 })
  })
})

describe('clonePlain', () => {
  it('copies JSON-like values deeply and keeps an own __proto__ key a plain key', () => {
    const value = JSON.parse('{"a":{"b":[1,{"c":2}]},"__proto__":{"polluted":true}}') as AnyObject
    const copy = clonePlain(value)
    expect(copy).toEqual(value)
    expect((copy.a as AnyObject).b).not.toBe((value.a as AnyObject).b)
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(({} as AnyObject).polluted).toBeUndefined()
  })

  it('copies dates and refuses what structuredClone refuses', () => {
    const at = new Date('2026-01-01T00:00:00Z')
    const copy = clonePlain({ at })
    expect(copy.at).toEqual(at)
    expect(copy.at).not.toBe(at)
    expect(() => clonePlain({ f: () => 1 })).toThrow()
  })
})
