import { describe, expect, it } from '@jest/globals'
import { assertUpdateFields } from './document-input'

describe('assertUpdateFields', () => {
  it('accepts the modifiers of $push and $addToSet, and operators in a $pull condition', () => {
    expect(() => assertUpdateFields('c', 'a', { $push: { ids: { $each: ['x', 'y'], $sort: 1, $slice: -5 } } })).not.toThrow()
    expect(() => assertUpdateFields('c', 'a', { $addToSet: { tags: { $each: [{ name: 'n' }] } } })).not.toThrow()
    expect(() => assertUpdateFields('c', 'a', { $pull: { scores: { $gt: 3 } } })).not.toThrow()
  })

  it.each([
    ['a $-key in a $set value', { $set: { profile: { $where: 'x' } } }],
    ['a $-key in an item $each stores', { $push: { items: { $each: [{ $theme: 'dark' }] } } }],
    ['a $-key in a pushed value without modifiers', { $push: { items: { $theme: 'dark' } } }],
    ['__proto__ in a $pull condition', { $pull: { items: JSON.parse('{"__proto__": {"a": 1}}') } }],
  ])('refuses %s with an InvalidDocumentOperationError', (_, spec) => {
    expect(() => assertUpdateFields('c', 'a', spec)).toThrow(expect.objectContaining({ type: 'invalid-document-operation', collection: 'c' }))
  })
})
