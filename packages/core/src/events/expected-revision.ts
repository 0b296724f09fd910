import { ConcurrencyError } from '../errors/errors'

/**
 * What an append expects of the stream:
 * - `'any'`: no check;
 * - `'no_stream'`: the stream must not exist;
 * - `'stream_exists'`: the stream must have at least one event;
 * - a bigint: the revision of the stream's last event (revisions are 0-based).
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint

/** True when a stream at `actual` (`undefined` = no stream) satisfies `expected`. */
export const matchesExpectedRevision = (expected: ExpectedRevision, actual: bigint | undefined): boolean => {
  switch (expected) {
    case 'any':
      return true
    case 'no_stream':
      return actual === undefined
    case 'stream_exists':
      return actual !== undefined
    default:
      return actual === expected
  }
}

/**
 * The single check every store runs before it appends.
 * @throws {@link ConcurrencyError} when the stream is not where the caller expected.
 */
export const assertExpectedRevision = (
  streamId: string,
  expected: ExpectedRevision,
  actual: bigint | undefined,
): void => {
  if (!matchesExpectedRevision(expected, actual)) throw new ConcurrencyError(streamId, expected, actual)
}

/** Parses user input (`any`, `no_stream`, `stream_exists` or an integer) into an expected revision. */
export const parseExpectedRevision = (value: string | number | bigint): ExpectedRevision => {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Invalid expected revision: ${value}`)
    return BigInt(value)
  }
  if (value === 'any' || value === 'no_stream' || value === 'stream_exists') return value
  if (/^\d+$/.test(value)) return BigInt(value)
  throw new RangeError(`Invalid expected revision: '${value}'`)
}
