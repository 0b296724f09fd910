import { InvalidArgumentError } from 'commander'

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i

/** `Date.parse` rolls `2024-02-30` over into March; a typo should be an error instead. */
const dayExists = (value: string): boolean => {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number]
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate()
}

/**
 * A commander parser for an ISO-8601 instant (`2024-05-01`, `2024-05-01T12:00:00Z`,
 * `2024-05-01T14:00+02:00`). Only ISO forms are accepted, because `Date.parse`
 * also reads locale formats whose meaning depends on the machine.
 */
export const isoTimeOption = (value: string): Date => {
  const ms = ISO_8601.test(value) && dayExists(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(ms)) throw new InvalidArgumentError('Expected an ISO-8601 time, like 2024-05-01T12:00:00Z.')
  return new Date(ms)
}
