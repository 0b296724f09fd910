import { SerializationError } from '../errors/errors'
import { MAX_JSON_DEPTH } from './limits'

/**
 * Checks that `value` survives a JSON round trip unchanged in meaning.
 * JSON.stringify throws on BigInt and cycles but silently drops functions,
 * symbols and `undefined` array slots and turns NaN into null: all of those
 * would corrupt the log, so they are refused here, and so is nesting deeper
 * than {@link MAX_JSON_DEPTH}.
 * @throws {@link SerializationError} naming the offending path.
 */
export const assertJsonSafe = (value: unknown, path = 'data', eventType?: string): void => {
  // The common case, a payload that is fine, is checked without building
  // paths; only a payload that fails is walked again to name the culprit.
  if (isJsonSafe(value, [])) return
  const seen = new Set<object>()
  const visit = (v: unknown, at: string, depth: number): void => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
      case 'undefined':
        return
      case 'number':
        if (!Number.isFinite(v)) throw new SerializationError(`${v} is not representable in JSON`, at, eventType)
        return
      case 'bigint':
        throw new SerializationError('a BigInt is not representable in JSON (use a string)', at, eventType)
      case 'function':
      case 'symbol':
        throw new SerializationError(`a ${typeof v} is not representable in JSON`, at, eventType)
    }
    if (v === null) return
    const obj = v as object
    if (obj instanceof Date) {
      if (Number.isNaN(obj.getTime())) throw new SerializationError('an invalid Date is not representable', at, eventType)
      return
    }
    if (depth >= MAX_JSON_DEPTH) {
      throw new SerializationError(`nesting deeper than ${MAX_JSON_DEPTH} levels is not stored`, at, eventType)
    }
    if (seen.has(obj)) throw new SerializationError('a circular reference is not representable in JSON', at, eventType)
    if (obj instanceof Map || obj instanceof Set) {
      throw new SerializationError(`a ${obj.constructor.name} is not representable in JSON`, at, eventType)
    }
    seen.add(obj)
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        if (obj[i] === undefined) throw new SerializationError('undefined is not representable inside an array', `${at}[${i}]`, eventType)
        visit(obj[i], `${at}[${i}]`, depth + 1)
      }
    } else if (typeof (obj as { toJSON?: unknown }).toJSON !== 'function') {
      for (const [k, child] of Object.entries(obj)) visit(child, `${at}.${k}`, depth + 1)
    }
    seen.delete(obj)
  }
  visit(value, path, 0)
}

/**
 * What {@link assertJsonSafe} checks, as a boolean: the same rules, no paths.
 * `ancestors` holds the objects being visited, to recognise a cycle; its
 * length is the nesting depth.
 */
const isJsonSafe = (v: unknown, ancestors: object[]): boolean => {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true
    case 'number':
      return Number.isFinite(v)
    case 'object':
      break
    default:
      return false
  }
  if (v === null) return true
  if (v instanceof Date) return !Number.isNaN(v.getTime())
  if (ancestors.length >= MAX_JSON_DEPTH || ancestors.includes(v) || v instanceof Map || v instanceof Set) return false
  ancestors.push(v)
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const child: unknown = v[i]
      if (child === undefined || !isJsonSafe(child, ancestors)) return false
    }
  } else if (typeof (v as { toJSON?: unknown }).toJSON !== 'function') {
    const keys = Object.keys(v)
    for (let i = 0; i < keys.length; i++) {
      if (!isJsonSafe((v as Record<string, unknown>)[keys[i]!], ancestors)) return false
    }
  }
  ancestors.pop()
  return true
}

/** `JSON.stringify` after {@link assertJsonSafe}. */
export const toJson = (value: unknown, path = 'data', eventType?: string): string => {
  assertJsonSafe(value, path, eventType)
  return JSON.stringify(value ?? null)
}

/** `JSON.parse` that reports failures as {@link SerializationError}. */
export const fromJson = <T = unknown>(text: string, path = 'data', eventType?: string): T => {
  try {
    return JSON.parse(text) as T
  } catch (cause) {
    throw new SerializationError('stored payload is not valid JSON', path, eventType, { cause })
  }
}
