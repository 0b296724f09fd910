import { assertJsonSafe } from '@eventfold/core'

/** Thrown by {@link watch} to leave `JSON.stringify` at the first suspicious value. */
const SUSPICIOUS = Symbol('suspicious')

/**
 * Watches every value `JSON.stringify` visits for those it would silently
 * change or drop (non-finite numbers, `undefined` in arrays, functions,
 * symbols, Maps and Sets, an invalid Date turned into null). It only flags:
 * the verdict is {@link assertJsonSafe}'s.
 */
function watch(this: unknown, key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (!Number.isFinite(value)) throw SUSPICIOUS
      return value
    case 'object':
      if (value === null) {
        // A toJSON() that returned null, e.g. an invalid Date.
        const original = (this as Record<string, unknown>)[key]
        if (original !== null && original !== undefined) throw SUSPICIOUS
        return value
      }
      if (!Array.isArray(value)) {
        const proto = Object.getPrototypeOf(value)
        if (proto !== Object.prototype && proto !== null) throw SUSPICIOUS
      }
      return value
    case 'undefined':
      if (Array.isArray(this)) throw SUSPICIOUS
      return value
    default:
      throw SUSPICIOUS
  }
}

/**
 * `toJson` of `@eventfold/core` (JSON text of a document, refusing what JSON
 * cannot represent faithfully) at close to the cost of `JSON.stringify`: the
 * full check runs only when a value looks suspicious, and then decides.
 * @throws {@link SerializationError} naming the offending path.
 */
export const documentToJson = (doc: object, path: string): string => {
  try {
    return JSON.stringify(doc, watch)
  } catch (error) {
    // Suspicious, or refused by JSON.stringify itself (BigInt, cycle): let the full check decide.
    assertJsonSafe(doc, path)
    if (error !== SUSPICIOUS) throw error
    return JSON.stringify(doc)
  }
}
