import { ValidationError } from '@eventfold/core'

/**
 * How long a stream keeps its events. EventStoreDB hides events outside
 * these limits from reads at once and removes them from disk when the
 * database is scavenged. Stored in the stream's metadata (`$maxAge`,
 * `$maxCount`, `$tb`); other metadata (ACLs, custom fields) is left as it is.
 */
export interface StreamRetention {
  /** Events older than this many seconds are removed. */
  readonly maxAge?: number
  /** Only the last `maxCount` events are kept. */
  readonly maxCount?: number
  /** Events before this revision are removed (how EventStoreDB truncates a stream). */
  readonly truncateBefore?: bigint
}

/** A change of retention: a value sets a limit, `null` removes it, `undefined` leaves it as it is. */
export type RetentionChange = { readonly [K in keyof StreamRetention]?: StreamRetention[K] | null }

const MAX_AGE = '$maxAge'
const MAX_COUNT = '$maxCount'
const TRUNCATE_BEFORE = '$tb'

const positiveInteger = (name: string, value: number): number => {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError(`Invalid retention`, [{ path: name, message: `must be a positive integer, got ${value}` }])
  }
  return value
}

/**
 * The stream metadata after `change`: the retention properties set or
 * removed, everything else kept.
 * @throws {@link ValidationError} for a limit that is not a positive integer
 * (seconds, events) or a revision beyond what JSON numbers hold exactly.
 */
export const applyRetention = (metadata: Readonly<Record<string, unknown>>, change: RetentionChange): Record<string, unknown> => {
  const next: Record<string, unknown> = { ...metadata }
  if (change.maxAge === null) delete next[MAX_AGE]
  else if (change.maxAge !== undefined) next[MAX_AGE] = positiveInteger('maxAge', change.maxAge)
  if (change.maxCount === null) delete next[MAX_COUNT]
  else if (change.maxCount !== undefined) next[MAX_COUNT] = positiveInteger('maxCount', change.maxCount)
  if (change.truncateBefore === null) delete next[TRUNCATE_BEFORE]
  else if (change.truncateBefore !== undefined) {
    const tb = change.truncateBefore
    if (typeof tb !== 'bigint' || tb < 0n || tb > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ValidationError(`Invalid retention`, [{ path: 'truncateBefore', message: `must be a revision from 0 to 2^53-1, got ${String(tb)}` }])
    }
    next[TRUNCATE_BEFORE] = Number(tb)
  }
  return next
}

/** The `$tb` of a soft-deleted stream: the server's `long.MaxValue`. */
export const SOFT_DELETED_TRUNCATE_BEFORE = (1n << 63n) - 1n

/**
 * True when the metadata, as the client parsed it (JSON numbers as doubles),
 * holds the soft-delete marker: `$tb` = 2^63-1 reads back as 2^63.
 */
export const isSoftDeletedMetadata = (metadata: Readonly<Record<string, unknown>>): boolean => {
  const tb = metadata[TRUNCATE_BEFORE]
  return typeof tb === 'number' && tb >= Number(SOFT_DELETED_TRUNCATE_BEFORE)
}

/**
 * The paths of integers in the metadata that a double cannot hold exactly
 * (beyond 2^53): the client parsed them with a loss, and writing them back
 * would store other numbers.
 */
export const inexactIntegers = (value: unknown, path = ''): string[] => {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value) ? [path] : []
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, v]) => inexactIntegers(v, path ? `${path}.${key}` : key))
}

/** The retention in stream metadata as EventStoreDB stores it (a soft-deleted stream's `truncateBefore` is 2^63-1). */
export const readRetention = (metadata: Readonly<Record<string, unknown>>): StreamRetention => {
  const out: { maxAge?: number; maxCount?: number; truncateBefore?: bigint } = {}
  if (Number.isSafeInteger(metadata[MAX_AGE])) out.maxAge = metadata[MAX_AGE] as number
  if (Number.isSafeInteger(metadata[MAX_COUNT])) out.maxCount = metadata[MAX_COUNT] as number
  if (Number.isSafeInteger(metadata[TRUNCATE_BEFORE])) out.truncateBefore = BigInt(metadata[TRUNCATE_BEFORE] as number)
  else if (isSoftDeletedMetadata(metadata)) out.truncateBefore = SOFT_DELETED_TRUNCATE_BEFORE
  return out
}
