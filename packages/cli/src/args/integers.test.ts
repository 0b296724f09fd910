import { InvalidArgumentError } from 'commander'
import { bigintOption, integerOption, partitionsOption } from './integers'

describe('integerOption', () => {
  const limit = integerOption({ min: 1 })

  it.each([
    ['1', 1],
    ['42', 42],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('accepts %s', (text, value) => {
    expect(limit(text)).toBe(value)
  })

  it.each(['', '0', '-1', '1.5', '1e3', '0x10', '12abc', ' 7', '07', '9007199254740992'])('rejects %j', (text) => {
    expect(() => limit(text)).toThrow(InvalidArgumentError)
  })

  it('gives the range for a whole number too large to hold', () => {
    expect(() => limit('99999999999999999999')).toThrow('Expected a whole number from 1 to 9007199254740991.')
  })

  it('bounds partition counts to what the workers accept', () => {
    expect(partitionsOption('1024')).toBe(1024)
    expect(() => partitionsOption('1025')).toThrow('Expected a whole number from 1 to 1024.')
  })
})

describe('bigintOption', () => {
  it('reads revisions up to the largest a store can hold (signed 64-bit)', () => {
    expect(bigintOption('0')).toBe(0n)
    expect(bigintOption('9223372036854775807')).toBe(9223372036854775807n)
  })

  it.each(['-1', '1.0', 'abc', '', '1e3', '9223372036854775808', '99999999999999999999999'])('rejects %j', (text) => {
    expect(() => bigintOption(text)).toThrow('Expected a revision: a whole number from 0 to 9223372036854775807.')
  })
})
