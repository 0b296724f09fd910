import { describe, expect, it } from '@jest/globals'
import { ConcurrencyError, SerializationError, ValidationError, type ExpectedRevision } from '@eventfold/core'
import { RETRY_APPEND, translateAppendError, type RefusedAppend } from './append-errors'
import { EVENT_ID_CONSTRAINT, STREAM_REVISION_CONSTRAINT } from './event-schema'

const driverError = (code: string, constraint?: string) => Object.assign(new Error('ignored text'), { code, constraint, severity: 'ERROR' })
const refused = (expected: ExpectedRevision, actual: bigint | undefined, storedIds: string[] = []): RefusedAppend => ({
  streamId: 'Account-1',
  expected,
  actual,
  storedIds,
})

describe('translateAppendError', () => {
  it.each<[string, unknown, RefusedAppend | undefined, unknown]>([
    ['a lost race on the revision with a stale expected revision', driverError('23505', STREAM_REVISION_CONSTRAINT), refused(0n, 1n), ConcurrencyError],
    ['a lost race on the revision that the expected revision allows', driverError('23505', STREAM_REVISION_CONSTRAINT), refused('any', 1n), RETRY_APPEND],
    ['a lost creation of a stream', driverError('23505', STREAM_REVISION_CONSTRAINT), refused('no_stream', 0n), ConcurrencyError],
    ['event ids stored elsewhere', driverError('23505', EVENT_ID_CONSTRAINT), refused('any', undefined, ['e1']), ValidationError],
    ['an append that inserted nothing, the stream not where expected', undefined, refused(3n, 5n), ConcurrencyError],
    ['an append that inserted nothing, the stream now where expected', undefined, refused('stream_exists', 0n), RETRY_APPEND],
    ['a payload jsonb cannot hold', driverError('22P05'), undefined, SerializationError],
  ])('makes %s what it means', (_label, error, facts, expected) => {
    const outcome = translateAppendError(error, facts)

    if (typeof expected === 'symbol') expect(outcome).toBe(expected)
    else expect(outcome).toBeInstanceOf(expected as new (...args: never[]) => unknown)
  })

  it('carries the actual revision and the driver error in a ConcurrencyError', () => {
    const error = driverError('23505', STREAM_REVISION_CONSTRAINT)

    expect(translateAppendError(error, refused(0n, 4n))).toMatchObject({ streamId: 'Account-1', expected: 0n, actual: 4n, cause: error })
  })

  it.each([
    ['a unique violation of another table', driverError('23505', 'users_email_key')],
    ['a lost connection', Object.assign(new Error('Connection terminated'), { code: 'ECONNRESET' })],
    ['a serialization failure', driverError('40001')],
  ])('returns %s unchanged, whatever its message says', (_label, error) => {
    expect(translateAppendError(error, refused(0n, 4n))).toBe(error)
  })
})
