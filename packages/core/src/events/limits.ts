import { SerializationError, ValidationError } from '../errors/errors'

/**
 * The deepest nesting of objects and arrays a payload may have (event data,
 * metadata, documents). Deeper input is refused up front instead of running
 * a store or a JSON walk out of stack; MongoDB itself stops at 100 levels.
 */
export const MAX_JSON_DEPTH = 64

/**
 * The longest stream id, event type or event id, in UTF-8 bytes. Each is a key
 * of a store's index, and PostgreSQL refuses index entries of about 2.7 KB.
 */
export const MAX_NAME_BYTES = 1024

/** The most events one append may hold; split larger batches into several appends. */
export const MAX_EVENTS_PER_APPEND = 65_536

/**
 * The most JSON text one append may carry, data and metadata of all its
 * events together, in UTF-8 bytes (16 MiB). PostgreSQL refuses a jsonb value
 * over 256 MiB, an append is one value there, and jsonb can take several
 * times the room of its text (an array of small numbers does).
 */
export const MAX_APPEND_BYTES = 16 * 1024 * 1024

/**
 * Checks a stream id, event type or event id: a non-empty string of at most
 * {@link MAX_NAME_BYTES} bytes, without NUL (no SQL text column can hold it).
 * Control and bidi characters are kept as they are.
 * @throws {@link ValidationError} naming `what` and the limit broken.
 */
export const assertName = (value: unknown, what: string): void => {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(`${what} must be a non-empty string`, [{ path: what, message: `got ${describe(value)}` }])
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: only long names are measured.
  if (value.length * 3 > MAX_NAME_BYTES && Buffer.byteLength(value) > MAX_NAME_BYTES) {
    throw new ValidationError(`${what} is longer than ${MAX_NAME_BYTES} bytes`, [
      { path: what, message: `${Buffer.byteLength(value)} bytes, starting '${value.slice(0, 40)}'` },
    ])
  }
  if (value.includes('\0')) {
    throw new ValidationError(`${what} must not contain NUL`, [{ path: what, message: `NUL at index ${value.indexOf('\0')}` }])
  }
}

/**
 * Checks the number of events of one append against {@link MAX_EVENTS_PER_APPEND}.
 * @throws {@link ValidationError}
 */
export const assertEventCount = (streamId: string, count: number): void => {
  if (count > MAX_EVENTS_PER_APPEND) {
    throw new ValidationError(`An append to '${streamId}' holds at most ${MAX_EVENTS_PER_APPEND} events, got ${count}: split it`, [
      { path: 'events', message: `${count} events` },
    ])
  }
}

/**
 * Adds up the JSON text of one append against {@link MAX_APPEND_BYTES}. Text
 * lengths are summed as the texts are made (a UTF-16 unit is 1 to 3 UTF-8
 * bytes); bytes are counted only when the lengths alone cannot decide.
 */
export class AppendSize {
  private units = 0

  constructor(private readonly streamId: string) {}

  /** Adds one JSON text. @throws {@link ValidationError} as soon as the append is surely over the limit. */
  add(text: string): void {
    this.units += text.length
    if (this.units > MAX_APPEND_BYTES) this.refuse(this.units)
  }

  /**
   * Call after the last {@link add}; `bytes` counts the append's text in UTF-8
   * and is called only for appends of more than a third of the limit.
   * @throws {@link ValidationError}
   */
  check(bytes: () => number): void {
    if (this.units * 3 <= MAX_APPEND_BYTES) return
    const size = bytes()
    if (size > MAX_APPEND_BYTES) this.refuse(size)
  }

  private refuse(size: number): never {
    throw new ValidationError(`An append to '${this.streamId}' carries more than ${MAX_APPEND_BYTES} bytes of JSON: split it`, [
      { path: 'events', message: `at least ${size} bytes` },
    ])
  }
}

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v)

/**
 * Checks JSON text made by `JSON.stringify` for what some store cannot keep
 * exactly: NUL (PostgreSQL's jsonb refuses `\u0000`) and lone surrogates
 * (jsonb refuses them, BSON replaces them). `JSON.stringify` writes both, and
 * only them besides other control characters, as `\u` escapes: one native
 * scan decides the common case, and a hit is confirmed on the value.
 * @throws {@link SerializationError} naming the path of the offending string.
 */
export const assertStorableText = (json: string, value: unknown, path: string, eventType?: string): void => {
  if (!json.includes('\\u') || !UNSTORABLE_ESCAPE.test(json)) return
  const bad = findUnstorable(value, path, 0)
  if (bad) throw new SerializationError(bad.reason, bad.path, eventType)
}

// May also match an escaped backslash followed by `u0000`: findUnstorable decides.
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/

/** NUL or a lone surrogate in a string (key or value) at or under `path`. */
const findUnstorable = (v: unknown, path: string, depth: number): { reason: string; path: string } | undefined => {
  if (typeof v === 'string') return unstorableString(v, path)
  if (v === null || typeof v !== 'object' || depth > MAX_JSON_DEPTH) return undefined
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    const text = JSON.stringify(v)
    return UNSTORABLE_ESCAPE.test(text) ? { reason: 'a NUL character or a lone surrogate cannot be stored', path } : undefined
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = findUnstorable(v[i], `${path}[${i}]`, depth + 1)
      if (bad) return bad
    }
    return undefined
  }
  for (const [k, child] of Object.entries(v)) {
    const badKey = unstorableString(k, `${path}.${k}`)
    if (badKey) return { ...badKey, reason: `a field name with ${badKey.reason.slice(2)}` }
    const bad = findUnstorable(child, `${path}.${k}`, depth + 1)
    if (bad) return bad
  }
  return undefined
}


// Node 20's String.prototype.isWellFormed: false when the string holds a lone surrogate.
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed()

const unstorableString = (s: string, path: string): { reason: string; path: string } | undefined => {
  if (s.includes('\0')) return { reason: 'a NUL character cannot be stored', path }
  if (!isWellFormed(s)) return { reason: 'a lone surrogate cannot be stored', path }
  return undefined
}
