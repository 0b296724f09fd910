import { SerializationError } from '../errors/errors'

/**
 * Checks that `value` survives a JSON round trip unchanged in meaning.
 * JSON.stringify throws on BigInt and cycles but silently drops functions,
 * symbols and `undefined` array slots and turns NaN into null: all of those
 * would corrupt the log, so they are refused here.
 * @throws {@link SerializationError} naming the offending path.
 */
export const assertJsonSafe = (value: unknown, path = 'data', eventType?: string): void => {
  const seen = new Set<object>()
  const visit = (v: unknown, at: string): void => {
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
    if (seen.has(obj)) throw new SerializationError('a circular reference is not representable in JSON', at, eventType)
    if (obj instanceof Map || obj instanceof Set) {
      throw new SerializationError(`a ${obj.constructor.name} is not representable in JSON`, at, eventType)
    }
    seen.add(obj)
    if (Array.isArray(obj)) {
      for (let i = 0; i < obj.length; i++) {
        if (obj[i] === undefined) throw new SerializationError('undefined is not representable inside an array', `${at}[${i}]`, eventType)
        visit(obj[i], `${at}[${i}]`)
      }
    } else if (typeof (obj as { toJSON?: unknown }).toJSON !== 'function') {
      for (const [k, child] of Object.entries(obj)) visit(child, `${at}.${k}`)
    }
    seen.delete(obj)
  }
  visit(value, path)
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
