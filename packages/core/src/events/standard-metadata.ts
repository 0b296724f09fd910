import type { EventMetadata } from './event'

/**
 * A layout of metadata text that is read without `JSON.parse`, by the order
 * of its keys, all of them standard:
 * - `1`: eventId, occurredAt, schemaVersion (an event appended without metadata);
 * - `2`: correlationId, causationId, eventId, occurredAt, schemaVersion
 *   (an event appended with those two ids);
 * - `3`: correlationId, causationId, schemaVersion, eventId, occurredAt
 *   (an event a command caused).
 *
 * Stores that keep it beside the text spare reads the check
 * {@link metadataLayoutOf} makes.
 */
export type MetadataLayout = 1 | 2 | 3

const LAYOUTS: readonly (readonly [MetadataLayout, readonly string[]])[] = [
  [1, ['eventId', 'occurredAt', 'schemaVersion']],
  [2, ['correlationId', 'causationId', 'eventId', 'occurredAt', 'schemaVersion']],
  [3, ['correlationId', 'causationId', 'schemaVersion', 'eventId', 'occurredAt']],
]
const QUOTE = 34
const COMMA = 44
const CLOSING_BRACE = 125
const ZERO = 48

/** Whether `text` holds `expected` at `at` (`startsWith` with a position costs several times more). */
const holdsAt = (text: string, at: number, expected: string): boolean => {
  for (let i = 0; i < expected.length; i++) if (text.charCodeAt(at + i) !== expected.charCodeAt(i)) return false
  return true
}

/** Where the value at `at` ends when it is a string (no escape in the text) or, for the version, a positive integer without a leading zero; -1 for anything else. */
const endOfValue = (text: string, at: number, isVersion: boolean): number => {
  if (!isVersion) {
    if (text.charCodeAt(at) !== QUOTE) return -1
    const end = text.indexOf('"', at + 1)
    return end < 0 ? -1 : end + 1
  }
  let end = at
  while (end - at <= 15) {
    const digit = text.charCodeAt(end) - ZERO
    if (!(digit >= 0 && digit <= 9)) break
    end++
  }
  return end === at || end - at > 15 || text.charCodeAt(at) === ZERO ? -1 : end
}

const holdsLayout = (text: string, keys: readonly string[]): boolean => {
  let at = 0
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!
    if (text.charCodeAt(at) !== (k === 0 ? 123 : COMMA) || text.charCodeAt(at + 1) !== QUOTE || !holdsAt(text, at + 2, key)) return false
    at += 2 + key.length
    if (text.charCodeAt(at) !== QUOTE || text.charCodeAt(at + 1) !== 58) return false
    at = endOfValue(text, at + 2, key === 'schemaVersion')
    if (at < 0) return false
  }
  return at === text.length - 1 && text.charCodeAt(at) === CLOSING_BRACE
}

/**
 * The layout of `text` when it is exactly one of the {@link MetadataLayout}s,
 * with no escape, no space, and a positive integer version without a leading
 * zero; `undefined` for any other text (user fields, invalid JSON).
 */
export const metadataLayoutOf = (text: string): MetadataLayout | undefined => {
  // With no escape in the text, a string value ends at the next quote and is
  // what JSON.parse reads. JSON writers escape every control character, so
  // none is looked for.
  if (text.includes('\\')) return undefined
  for (const [layout, keys] of LAYOUTS) if (holdsLayout(text, keys)) return layout
  return undefined
}

/** The integer written in `text` from `at` up to the first character that is not a digit. */
const versionAt = (text: string, at: number): number => {
  let version = 0
  for (let digit = text.charCodeAt(at) - ZERO; digit >= 0 && digit <= 9; digit = text.charCodeAt(++at) - ZERO) version = version * 10 + digit
  return version
}

// Lengths of what comes before each value: `{"eventId":"`, `","occurredAt":"`, and so on.
const FIRST_ID = 12
const FIRST_CORRELATION = 18
const THEN_CAUSATION = 17
const THEN_ID = 13
const THEN_TIME = 16
const THEN_VERSION = 18
const VERSION_THEN_ID = 12

/**
 * The metadata in `text`, which is in `layout` (as {@link metadataLayoutOf}
 * found, or a store kept beside it): its values cut out, nothing checked.
 * The result is what `JSON.parse` returns, key order included.
 * `schemaVersion`: the one the text holds, when the caller knows it.
 */
export const metadataInLayout = (text: string, layout: MetadataLayout, schemaVersion?: number): EventMetadata => {
  if (layout === 1) {
    const endOfId = text.indexOf('"', FIRST_ID)
    const timeAt = endOfId + THEN_TIME
    const endOfTime = text.indexOf('"', timeAt)
    return {
      eventId: text.slice(FIRST_ID, endOfId),
      occurredAt: text.slice(timeAt, endOfTime),
      schemaVersion: schemaVersion ?? versionAt(text, endOfTime + THEN_VERSION),
    }
  }
  const endOfCorrelation = text.indexOf('"', FIRST_CORRELATION)
  const causationAt = endOfCorrelation + THEN_CAUSATION
  const endOfCausation = text.indexOf('"', causationAt)
  const correlationId = text.slice(FIRST_CORRELATION, endOfCorrelation)
  const causationId = text.slice(causationAt, endOfCausation)
  if (layout === 2) {
    const idAt = endOfCausation + THEN_ID
    const endOfId = text.indexOf('"', idAt)
    const timeAt = endOfId + THEN_TIME
    const endOfTime = text.indexOf('"', timeAt)
    return {
      correlationId,
      causationId,
      eventId: text.slice(idAt, endOfId),
      occurredAt: text.slice(timeAt, endOfTime),
      schemaVersion: schemaVersion ?? versionAt(text, endOfTime + THEN_VERSION),
    }
  }
  const versionStart = endOfCausation + THEN_VERSION
  const idAt = text.indexOf(',', versionStart) + VERSION_THEN_ID
  const endOfId = text.indexOf('"', idAt)
  const timeAt = endOfId + THEN_TIME
  return {
    correlationId,
    causationId,
    schemaVersion: schemaVersion ?? versionAt(text, versionStart),
    eventId: text.slice(idAt, endOfId),
    occurredAt: text.slice(timeAt, text.indexOf('"', timeAt)),
  }
}

/**
 * The metadata that `text` holds when it is in a {@link MetadataLayout},
 * read without `JSON.parse`; `undefined` for any other text, which the caller parses.
 */
export const standardMetadata = (text: string): EventMetadata | undefined => {
  const layout = metadataLayoutOf(text)
  return layout === undefined ? undefined : metadataInLayout(text, layout)
}
