import { describe, expect, it } from '@jest/globals'
import {
  convertToCommandError,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client'
import { ConcurrencyError, type ExpectedRevision } from '@eventfold/core'
import { StreamTombstonedError } from '../errors'
import { clientShapes } from '../test-support/client-shapes'
import { currentRevisionOf, isMissingStreamError, refusedAppend, translateClientError } from './client-errors'

/** The error the client throws for a refused append (how its append and batch append build it). */
const wrongExpectedVersion = (expected: WrongExpectedVersionError['expectedVersion'], current: WrongExpectedVersionError['actualVersion']) =>
  new WrongExpectedVersionError(undefined, { streamName: 'Account-1', expected, current })

/**
 * A gRPC service error as the server sends it for a refused write, turned
 * into the client's error by the client itself: the legacy form, whose
 * metadata carries -1 for "no stream".
 */
const fromServiceError = (actual: string | undefined): unknown => {
  const map: Record<string, string> = { exception: 'wrong-expected-version', 'stream-name': 'Account-1', 'expected-version': '3' }
  if (actual !== undefined) map['actual-version'] = actual
  return convertToCommandError(Object.assign(new Error('wrong expected version'), { code: 9, details: '', metadata: { getMap: () => map } }))
}

describe('translating client errors', () => {
  it.each<[string, ExpectedRevision, WrongExpectedVersionError['expectedVersion'], WrongExpectedVersionError['actualVersion'], bigint | undefined]>([
    ['a stale revision', 0n, 0n, 1n, 1n],
    ['a revision ahead of the stream', 2n, 2n, 1n, 1n],
    ['an exact revision of a missing stream', 0n, 0n, 'no_stream', undefined],
    ['no_stream of an existing stream', 'no_stream', 'no_stream', 4n, 4n],
    ['stream_exists of a missing stream', 'stream_exists', 'stream_exists', 'no_stream', undefined],
  ])('turns a wrong expected version for %s into a ConcurrencyError', (_label, expected, theirs, current, actual) => {
    const error = wrongExpectedVersion(theirs, current)

    const translated = translateClientError(error, { streamId: 'Account-1', expected })

    expect(translated).toBeInstanceOf(ConcurrencyError)
    expect(translated).toMatchObject({ name: 'ConcurrencyError', type: 'concurrency', streamId: 'Account-1', expected, actual, cause: error })
  })

  it('reads the legacy -1 of a server error as "no stream"', () => {
    const error = fromServiceError('-1')
    expect(error).toBeInstanceOf(WrongExpectedVersionError)

    expect(translateClientError(error, { streamId: 'Account-1', expected: 3n })).toMatchObject({ type: 'concurrency', expected: 3n, actual: undefined })
  })

  it('reads a server error without an actual version as "no stream", and one with it as the revision', () => {
    expect(translateClientError(fromServiceError(undefined), { streamId: 'Account-1', expected: 3n })).toMatchObject({ actual: undefined })
    expect(translateClientError(fromServiceError('5'), { streamId: 'Account-1', expected: 3n })).toMatchObject({ actual: 5n })
  })

  it.each<[ExpectedRevision, WrongExpectedVersionError['actualVersion']]>([
    ['any', 2n],
    ['stream_exists', 2n],
  ])('reads a wrong expected version for %p as a partially stored batch (ValidationError)', (expected, current) => {
    const translated = translateClientError(wrongExpectedVersion(expected === 'any' ? 'any' : 'stream_exists', current), {
      streamId: 'Account-1',
      expected,
    })

    expect(translated).toMatchObject({ name: 'ValidationError', type: 'validation' })
  })

  it('keeps a wrong expected version of a delete a ConcurrencyError whatever was expected', () => {
    expect(
      translateClientError(wrongExpectedVersion('any', 2n), { streamId: 'Account-1', expected: 'any', operation: 'delete' }),
    ).toMatchObject({ type: 'concurrency', actual: 2n })
  })

  it('turns a deleted (tombstoned) stream into a StreamTombstonedError', () => {
    const error = StreamDeletedError.fromStreamName('Account-1')

    const translated = translateClientError(error, { streamId: 'Account-1' })

    expect(translated).toBeInstanceOf(StreamTombstonedError)
    expect(translated).toMatchObject({ type: 'stream-tombstoned', streamId: 'Account-1', cause: error })
  })

  it('turns a deleted stream the caller found soft-deleted into a ConcurrencyError with no actual revision', () => {
    const error = StreamDeletedError.fromStreamName('Account-1')

    expect(translateClientError(error, { streamId: 'Account-1', expected: 'stream_exists', tombstoned: false })).toMatchObject({
      type: 'concurrency',
      expected: 'stream_exists',
      actual: undefined,
      cause: error,
    })
  })

  it('turns an append over the maximum size into a ValidationError naming the limit', () => {
    const translated = translateClientError(MaxAppendSizeExceededError.fromMaxAppendSize(1048576), { streamId: 'Account-1' })

    expect(translated).toMatchObject({ type: 'validation' })
    expect((translated as Error).message).toContain('1048576')
  })

  it('passes other client errors through unchanged', () => {
    const error = new UnavailableError(undefined, 'no connection')

    expect(translateClientError(error, { streamId: 'Account-1' })).toBe(error)
  })

  it('passes errors that are not the client’s through unchanged', () => {
    const error = new TypeError('boom')

    expect(translateClientError(error, { streamId: 'Account-1' })).toBe(error)
    expect(translateClientError(undefined, { streamId: 'Account-1' })).toBeUndefined()
  })

  it('treats a stream that is not found or deleted as missing, and nothing else', () => {
    expect(isMissingStreamError(new StreamNotFoundError(undefined, 'Account-1'))).toBe(true)
    expect(isMissingStreamError(StreamDeletedError.fromStreamName('Account-1'))).toBe(true)
    expect(isMissingStreamError(new UnavailableError())).toBe(false)
    expect(isMissingStreamError(new Error('stream-not-found'))).toBe(false)
  })

  it('builds the same errors for a refusal the client reports as a result', () => {
    expect(refusedAppend('Account-1', 1n, 3n)).toMatchObject({ type: 'concurrency', expected: 1n, actual: 3n })
    expect(refusedAppend('Account-1', 'no_stream', 0n)).toMatchObject({ type: 'concurrency', actual: 0n })
    expect(refusedAppend('Account-1', 'any', 0n)).toMatchObject({ type: 'validation' })
  })
})

describe.each(clientShapes)('translating the errors of the $name', ({ errors }) => {
  it.each<[string, ExpectedRevision, bigint | 'no_stream', bigint | undefined]>([
    ['a stale revision', 0n, 1n, 1n],
    ['an exact revision of a missing stream', 0n, 'no_stream', undefined],
    ['no_stream of an existing stream', 'no_stream', 4n, 4n],
  ])('turns a wrong expected version for %s into a ConcurrencyError with the actual revision', (_label, expected, current, actual) => {
    const error = new errors.WrongExpectedVersionError(undefined, { streamName: 'Account-1', expected: expected as never, current })

    expect(currentRevisionOf(error)).toBe(actual)
    expect(translateClientError(error, { streamId: 'Account-1', expected })).toMatchObject({ type: 'concurrency', expected, actual, cause: error })
  })

  it('turns a deleted stream into a StreamTombstonedError', () => {
    expect(translateClientError(errors.StreamDeletedError.fromStreamName('Account-1'), { streamId: 'Account-1' })).toBeInstanceOf(StreamTombstonedError)
  })

  it('treats a stream that is not found or deleted as missing', () => {
    expect(isMissingStreamError(new errors.StreamNotFoundError(undefined, 'Account-1'))).toBe(true)
    expect(isMissingStreamError(errors.StreamDeletedError.fromStreamName('Account-1'))).toBe(true)
  })
})
