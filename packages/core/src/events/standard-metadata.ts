import type { EventMetadata } from './event'

/**
 * A layout of metadata text that is read without `JSON.parse`: `1` is
 * `{"eventId":…,"occurredAt":…,"schemaVersion":n}` (an event appended
 * without metadata), `2` the same after `"correlationId":…,"causationId":…`
 * (an event a command caused). Stores that keep it beside the text spare
 * reads the check {@link metadataLayoutOf} makes.
 */
export type MetadataLayout = 1 | 2

// What comes before each value in the layouts.
const EVENT_ID_FIRST = '{"eventId":"'
const CORRELATION_ID_FIRST = '{"correlationId":"'
const THEN_CAUSATION_ID = '","causationId":"'
const THEN_EVENT_ID = '","eventId":"'
const THEN_OCCURRED_AT = '","occurredAt":"'
const THEN_SCHEMA_VERSION = '","schemaVersion":'
const CLOSING_BRACE = 125
const ZERO = 48

/** Whether `text` holds `expected` at `at` (`startsWith` with a position costs several times more). */
const holdsAt = (text: string, at: number, expected: string): boolean => {
  for (let i = 0; i < expected.length; i++) if (text.charCodeAt(at + i) !== expected.charCodeAt(i)) return false
  return true
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
  let layout: MetadataLayout
  let at: number
  if (holdsAt(text, 0, EVENT_ID_FIRST)) {
    layout = 1
    at = EVENT_ID_FIRST.length
  } else if (holdsAt(text, 0, CORRELATION_ID_FIRST)) {
    layout = 2
    const endOfCorrelation = text.indexOf('"', CORRELATION_ID_FIRST.length)
    if (endOfCorrelation < 0 || !holdsAt(text, endOfCorrelation, THEN_CAUSATION_ID)) return undefined
    const endOfCausation = text.indexOf('"', endOfCorrelation + THEN_CAUSATION_ID.length)
    if (endOfCausation < 0 || !holdsAt(text, endOfCausation, THEN_EVENT_ID)) return undefined
    at = endOfCausation + THEN_EVENT_ID.length
  } else {
    return undefined
  }
  const endOfId = text.indexOf('"', at)
  if (endOfId < 0 || !holdsAt(text, endOfId, THEN_OCCURRED_AT)) return undefined
  const endOfTime = text.indexOf('"', endOfId + THEN_OCCURRED_AT.length)
  if (endOfTime < 0 || !holdsAt(text, endOfTime, THEN_SCHEMA_VERSION)) return undefined
  at = endOfTime + THEN_SCHEMA_VERSION.length
  const last = text.length - 1
  if (text.charCodeAt(last) !== CLOSING_BRACE || last - at < 1 || last - at > 15 || text.charCodeAt(at) === ZERO) return undefined
  for (let i = at; i < last; i++) {
    const digit = text.charCodeAt(i) - ZERO
    if (digit < 0 || digit > 9) return undefined
  }
  return layout
}

/**
 * The metadata in `text`, which is in `layout` (as {@link metadataLayoutOf}
 * found, or a store kept beside it): its values cut out, nothing checked.
 * The result is what `JSON.parse` returns, key order included.
 * `schemaVersion`: the one the text holds, when the caller knows it.
 */
export const metadataInLayout = (text: string, layout: MetadataLayout, schemaVersion = versionIn(text)): EventMetadata => {
  if (layout === 1) {
    const endOfId = text.indexOf('"', EVENT_ID_FIRST.length)
    const timeAt = endOfId + THEN_OCCURRED_AT.length
    return { eventId: text.slice(EVENT_ID_FIRST.length, endOfId), occurredAt: text.slice(timeAt, text.indexOf('"', timeAt)), schemaVersion }
  }
  const endOfCorrelation = text.indexOf('"', CORRELATION_ID_FIRST.length)
  const causationAt = endOfCorrelation + THEN_CAUSATION_ID.length
  const endOfCausation = text.indexOf('"', causationAt)
  const idAt = endOfCausation + THEN_EVENT_ID.length
  const endOfId = text.indexOf('"', idAt)
  const timeAt = endOfId + THEN_OCCURRED_AT.length
  return {
    correlationId: text.slice(CORRELATION_ID_FIRST.length, endOfCorrelation),
    causationId: text.slice(causationAt, endOfCausation),
    eventId: text.slice(idAt, endOfId),
    occurredAt: text.slice(timeAt, text.indexOf('"', timeAt)),
    schemaVersion,
  }
}

/** The version at the end of a text in a layout. */
const versionIn = (text: string): number => {
  let version = 0
  for (let i = text.lastIndexOf(':') + 1; i < text.length - 1; i++) version = version * 10 + text.charCodeAt(i) - ZERO
  return version
}

/**
 * The metadata that `text` holds when it is in a {@link MetadataLayout},
 * read without `JSON.parse`; `undefined` for any other text, which the caller parses.
 */
export const standardMetadata = (text: string): EventMetadata | undefined => {
  const layout = metadataLayoutOf(text)
  return layout === undefined ? undefined : metadataInLayout(text, layout)
}
