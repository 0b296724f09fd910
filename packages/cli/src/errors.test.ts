import { UnknownEventTypeError } from '@eventfold/core'
import { DeadLetterNotFoundError, PartitionCountMismatchError, RevisionOutOfRangeError, UnknownProjectionError } from '@eventfold/projections'
import { EXIT, exitCodeOf, UsageError } from './errors'

describe('exitCodeOf', () => {
  it.each([
    ['a usage error', new UsageError('bad')],
    ['an unknown projection', new UnknownProjectionError('p')],
    ['a revision past the end', new RevisionOutOfRangeError('S-1', 5n, 4n)],
    ['an unknown dead letter', new DeadLetterNotFoundError('x')],
    ['a partition count mismatch', new PartitionCountMismatchError('p', 1, 2)],
    ['such an error from another copy of the packages', { type: 'unknown-projection', message: 'x' }],
  ])('maps %s to 2', (_name, error) => {
    expect(exitCodeOf(error)).toBe(EXIT.usage)
  })

  it.each([
    ['an error', new Error('disk full')],
    ['another eventfold error', new UnknownEventTypeError('S-1', 0n, 'X')],
    ['a thrown string', 'boom'],
    ['undefined', undefined],
  ])('maps %s to 1', (_name, error) => {
    expect(exitCodeOf(error)).toBe(EXIT.failure)
  })
})
