const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const COLON = 58
const SPACE = 32
const OPENING_BRACE = 123
const CLOSING_BRACE = 125
const OPENING_BRACKET = 91
const CLOSING_BRACKET = 93
const KEY = 'schemaVersion'

/** Where the string whose opening quote is at `at` ends (after its closing quote); -1 when it does not. */
const endOfString = (text: string, at: number): number => {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) return i + 1
    if (c === BACKSLASH) i++
  }
  return -1
}

/** Where the value starting at `at` ends: a string, an object or array (strings inside skipped), or a scalar up to `,` or `}`. */
const endOfValue = (text: string, at: number): number => {
  const first = text.charCodeAt(at)
  if (first === QUOTE) return endOfString(text, at)
  if (first === OPENING_BRACE || first === OPENING_BRACKET) {
    let depth = 0
    for (let i = at; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === QUOTE) {
        i = endOfString(text, i) - 1
        if (i < 0) return -1
      } else if (c === OPENING_BRACE || c === OPENING_BRACKET) depth++
      else if ((c === CLOSING_BRACE || c === CLOSING_BRACKET) && --depth === 0) return i + 1
    }
    return -1
  }
  let i = at
  while (i < text.length && text.charCodeAt(i) !== COMMA && text.charCodeAt(i) !== CLOSING_BRACE) i++
  return i
}

/**
 * `metadata.schemaVersion` found in metadata text as PostgreSQL prints a
 * jsonb object (`{"key": value, …}`, one space after each colon and comma),
 * without parsing it, so that loading events with user fields in their
 * metadata needs neither `JSON.parse` nor a per-row expression on the
 * server. `null` (the caller then parses the metadata) unless the top-level
 * key holds an integer of up to 9 digits; a key nested deeper is skipped
 * with its object.
 */
export const jsonbSchemaVersion = (text: string): number | null => {
  if (text.charCodeAt(0) !== OPENING_BRACE) return null
  let at = 1
  for (;;) {
    if (text.charCodeAt(at) !== QUOTE) return null
    const keyEnd = endOfString(text, at)
    if (keyEnd < 0 || text.charCodeAt(keyEnd) !== COLON || text.charCodeAt(keyEnd + 1) !== SPACE) return null
    const valueAt = keyEnd + 2
    const valueEnd = endOfValue(text, valueAt)
    if (valueEnd < 0) return null
    if (keyEnd - at === KEY.length + 2 && text.startsWith(KEY, at + 1)) {
      const value = text.slice(valueAt, valueEnd)
      return /^[0-9]{1,9}$/.test(value) ? Number(value) : null
    }
    if (text.charCodeAt(valueEnd) !== COMMA || text.charCodeAt(valueEnd + 1) !== SPACE) return null
    at = valueEnd + 2
  }
}
