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
    const n = INTEGER.test(value) ? Number(value) : Number.NaN
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`Expected a whole number, like ${Math.max(min, 1)}.`)
    if (n < min || n > max) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`)
    return n
  }

/** A commander parser for a revision or position: a non-negative integer of any size. */
export const bigintOption = (value: string): bigint => {
  if (!INTEGER.test(value)) throw new InvalidArgumentError('Expected a revision: a whole number from 0 up.')
  return BigInt(value)
}

/** Partition counts the workers accept. */
export const partitionsOption = integerOption({ min: 1, max: 1024 })
export const batchSizeOption = integerOption({ min: 1, max: 10_000_000 })
