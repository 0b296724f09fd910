import { ANY, NO_STREAM, STREAM_EXISTS, type AppendExpectedRevision, type CurrentRevision } from '@eventstore/db-client'
import type { ExpectedRevision } from '@eventfold/core'

/**
 * The legacy numbers the server still uses in some error metadata
 * (`ExpectedVersion` in EventStoreDB): -1 no stream, -2 any, -4 stream exists.
 */
const LEGACY_NO_STREAM = -1n
const LEGACY_ANY = -2n
const LEGACY_STREAM_EXISTS = -4n

/** The client's expected revision for an eventfold expected revision. */
export const toEventStoreDBExpectedRevision = (expected: ExpectedRevision): AppendExpectedRevision => {
  switch (expected) {
    case 'any':
      return ANY
    case 'no_stream':
      return NO_STREAM
    case 'stream_exists':
      return STREAM_EXISTS
    default:
      if (typeof expected !== 'bigint' || expected < 0n) throw new RangeError(`Invalid expected revision: ${String(expected)}`)
      return expected
  }
}

/**
 * The eventfold expected revision for the client's, including the legacy
 * negative numbers a server error may carry.
 * @throws {RangeError} for a negative number that means nothing.
 */
export const fromEventStoreDBExpectedRevision = (expected: AppendExpectedRevision): ExpectedRevision => {
  switch (expected) {
    case ANY:
      return 'any'
    case NO_STREAM:
      return 'no_stream'
    case STREAM_EXISTS:
      return 'stream_exists'
  }
  if (expected === LEGACY_ANY) return 'any'
  if (expected === LEGACY_NO_STREAM) return 'no_stream'
  if (expected === LEGACY_STREAM_EXISTS) return 'stream_exists'
  if (expected < 0n) throw new RangeError(`Unknown EventStoreDB expected revision ${expected}`)
  return expected
}

/**
 * A stream's current revision as eventfold says it: `undefined` when the
 * stream does not exist (`no_stream`, or -1 from a server error's metadata).
 */
export const fromEventStoreDBCurrentRevision = (current: CurrentRevision | undefined): bigint | undefined =>
  typeof current === 'bigint' && current >= 0n ? current : undefined
