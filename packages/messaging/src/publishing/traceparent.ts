// version "-" trace-id "-" parent-id "-" flags, lower-case hex (W3C Trace Context, level 1).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\x21-\x7e]*)?$/

/**
 * `value` when it is a valid W3C `traceparent`, otherwise `undefined`. A
 * metadata field is written by anyone who appends, so it is checked before
 * it goes into a header other services parse: version `ff`, all-zero ids
 * and (for version `00`) trailing data are refused.
 */
export const validTraceparent = (value: unknown): string | undefined => {
  if (typeof value !== 'string' || value.length > 512) return undefined
  const m = TRACEPARENT.exec(value)
  if (!m) return undefined
  const [, version, traceId, parentId, , rest] = m
  if (version === 'ff') return undefined
  if (version === '00' && rest !== undefined) return undefined
  if (/^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return undefined
  return value
}
