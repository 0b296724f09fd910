import { InvalidArgumentError } from 'commander'

const INTEGER = /^(0|[1-9][0-9]*)$/

/**
 * A commander parser for a decimal integer option within `[min, max]`.
 * Rejects what `parseInt` would quietly accept (`'12abc'`, `'1e3'`, `'0x10'`,
 * `' 7'`): an operator who mistyped should be told, not served a guess.
 */
export const integerOption =
  ({ min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}) =>
  (value: string): number => {
    if (!INTEGER.test(value)) throw new InvalidArgumentError(`Expected a whole number, like ${Math.max(min, 1)}.`)
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`)
    return n
  }

/**
 * The largest revision or position a store can hold: SQLite and PostgreSQL
 * keep them in signed 64-bit integers.
 */
export const MAX_REVISION = 2n ** 63n - 1n

/**
 * A commander parser for a revision or position: a whole number from 0 to
 * {@link MAX_REVISION}. A larger one cannot exist in any store, so it is a
 * usage error rather than a driver error.
 */
export const bigintOption = (value: string): bigint => {
  if (!INTEGER.test(value)) throw new InvalidArgumentError(`Expected a revision: a whole number from 0 to ${MAX_REVISION}.`)
  const n = BigInt(value)
  if (n > MAX_REVISION) throw new InvalidArgumentError(`Expected a revision: a whole number from 0 to ${MAX_REVISION}.`)
  return n
}

/** Partition counts the workers accept. */
export const partitionsOption = integerOption({ min: 1, max: 1024 })
export const batchSizeOption = integerOption({ min: 1, max: 10_000_000 })
export const leaseTtlOption = integerOption({ min: 100, max: 3_600_000 })
/** A TCP port; 0 lets the system choose a free one. */
export const portOption = integerOption({ min: 0, max: 65535 })
