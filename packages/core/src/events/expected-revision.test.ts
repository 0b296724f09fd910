import { ConcurrencyError, type ExpectedRevision } from '../index'
import { assertExpectedRevision, matchesExpectedRevision, parseExpectedRevision } from '../spi'

describe('expected revision', () => {
  it.each<[ExpectedRevision, bigint | undefined, boolean]>([
    ['any', undefined, true],
    ['any', 3n, true],
    ['no_stream', undefined, true],
    ['no_stream', 0n, false],
    ['stream_exists', undefined, false],
    ['stream_exists', 0n, true],
    [2n, 2n, true],
    [2n, 3n, false],
    [0n, undefined, false],
  ])('expected %p against a stream at %p matches: %p', (expected, actual, ok) => {
    expect(matchesExpectedRevision(expected, actual)).toBe(ok)
  })

  it('throws a ConcurrencyError carrying stream, expected and actual', () => {
    expect(() => assertExpectedRevision('S-1', 1n, 4n)).toThrow(ConcurrencyError)
    expect(() => assertExpectedRevision('S-1', 'no_stream', 4n)).toThrow(
      expect.objectContaining({ streamId: 'S-1', expected: 'no_stream', actual: 4n, message: expect.stringContaining("'S-1'") }),
    )
  })

  it('does not throw when the expected revision matches', () => {
    expect(() => assertExpectedRevision('S-1', 4n, 4n)).not.toThrow()
  })

  it('parses user input', () => {
    expect(parseExpectedRevision('12')).toBe(12n)
    expect(parseExpectedRevision('no_stream')).toBe('no_stream')
    expect(() => parseExpectedRevision('-1')).toThrow(RangeError)
    expect(() => parseExpectedRevision(1.5)).toThrow(RangeError)
  })
})
