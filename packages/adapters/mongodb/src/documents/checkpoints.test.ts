import { describe, expect, it } from '@jest/globals'
import { InvalidDocumentOperationError } from '@eventfold/projections'
import { decodePosition, encodePosition, prefixPattern } from './checkpoints'

describe('checkpoint positions', () => {
  it.each<bigint>([0n, 90n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n, 10n ** 25n])('round-trips %p exactly', (position) => {
    expect(decodePosition(encodePosition(position))).toBe(position)
  })

  it('pads to 20 digits, so that text order is number order for any unsigned 64-bit position', () => {
    const positions = [2n ** 64n - 1n, 0n, 10n, 9n, 2n ** 53n]
    const encoded = positions.map(encodePosition)

    expect(encoded[1]).toBe('00000000000000000000')
    expect([...encoded].sort().map(decodePosition)).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)))
  })

  it('refuses a negative position', () => {
    expect(() => encodePosition(-1n)).toThrow(InvalidDocumentOperationError)
  })
})

describe('prefix patterns', () => {
  it('match names that start with the prefix, taken literally', () => {
    const pattern = prefixPattern('bal.(x)*:')

    expect(pattern.test('bal.(x)*:0/2')).toBe(true)
    expect(pattern.test('balX(x)*:0/2')).toBe(false)
    expect(pattern.test('a bal.(x)*:')).toBe(false)
  })
})
