import { MAX_NAME_BYTES } from '@eventfold/core'
import { quote } from '../output/terminal'

/**
 * Why no store can hold `value` as a stream id or dead letter id (`what`),
 * or `undefined` when one could. Such an id names nothing, so a command
 * says so as it says of any unknown id, instead of passing it to a store
 * that refuses it as bad data.
 */
export const impossibleName = (value: string, what: string): string | undefined => {
  if (value.length === 0) return `${what} is never empty`
  const bytes = Buffer.byteLength(value)
  if (bytes > MAX_NAME_BYTES) return `${what} is at most ${MAX_NAME_BYTES} bytes (this one has ${bytes})`
  if (value.includes('\0')) return `${what} never contains NUL`
  return undefined
}

/** `quote(value)`, cut to its first 40 characters: an id over a kilobyte long would fill the screen. */
export const quoteShort = (value: string): string => (value.length > 40 ? `${quote(value.slice(0, 40)).slice(0, -1)}…'` : quote(value))
