import { MAX_JSON_DEPTH, MAX_NAME_BYTES, ValidationError } from '@eventfold/core'
import type { CommitRequest, DocumentWrite } from './document-store'
import type { Filter, FindOptions, IndexSpec } from './document'
import { InvalidDocumentOperationError } from '../errors/errors'

// Event data reaches these checks (a handler's `view.get(e.data.userId)`):
// every store applies the same rules at its entry points, so that nothing
// read from the log can turn into a query or behave differently per store.

/** The longest collection name, in UTF-8 bytes: MongoDB's namespace limit leaves room for a database name. */
export const MAX_COLLECTION_NAME_BYTES = 120

/**
 * Field names no document, filter, update or index may use: they name
 * JavaScript's object machinery, so an in-process store would read them from
 * the prototype where a database reads nothing.
 */
export const RESERVED_FIELD_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype']

const fail = (message: string, collection: string, id?: string): never => {
  throw new InvalidDocumentOperationError(message, collection, id)
}

/**
 * Checks a collection name: a non-empty string of at most
 * {@link MAX_COLLECTION_NAME_BYTES} bytes, without NUL or `$`.
 * @throws {@link InvalidDocumentOperationError}
 */
export const assertCollectionName = (collection: unknown): void => {
  if (typeof collection !== 'string' || collection.length === 0) {
    return fail(`a collection name must be a non-empty string, got ${kindOf(collection)}`, String(collection))
  }
  if (collection.length * 3 > MAX_COLLECTION_NAME_BYTES && Buffer.byteLength(collection) > MAX_COLLECTION_NAME_BYTES) {
    fail(`a collection name is at most ${MAX_COLLECTION_NAME_BYTES} bytes`, collection.slice(0, 40))
  }
  if (collection.includes('\0') || collection.includes('$')) fail('a collection name must not contain NUL or $', collection)
}

/**
 * Checks a prefix of collection names, as `listCollections` takes it: a
 * string without NUL (no collection name holds one).
 * @throws {@link InvalidDocumentOperationError}
 */
export const assertCollectionPrefix = (prefix: unknown): void => {
  if (typeof prefix !== 'string') fail(`a collection prefix must be a string, got ${kindOf(prefix)}`, String(prefix))
  if ((prefix as string).includes('\0')) fail('a collection prefix must not contain NUL', (prefix as string).replaceAll('\0', '\\0'))
}

/**
 * Checks a document id: a non-empty string (never an object, which a
 * database would read as a query) of at most `MAX_NAME_BYTES` bytes, without NUL.
 * @throws {@link InvalidDocumentOperationError}
 */
export const assertDocumentId = (collection: string, id: unknown): void => {
  if (typeof id !== 'string' || id.length === 0) fail(`a document id must be a non-empty string, got ${kindOf(id)}`, collection)
  const s = id as string
  if (s.length * 3 > MAX_NAME_BYTES && Buffer.byteLength(s) > MAX_NAME_BYTES) {
    fail(`a document id is at most ${MAX_NAME_BYTES} bytes`, collection, s.slice(0, 40))
  }
  if (s.includes('\0')) fail('a document id must not contain NUL', collection, s.replaceAll('\0', '\\0'))
}

/**
 * Checks a document's body: nesting of at most `MAX_JSON_DEPTH` levels; field
 * names without a leading `$`, NUL or a reserved name; strings without NUL or
 * lone surrogates (PostgreSQL's jsonb and BSON cannot keep them exactly).
 * @throws {@link InvalidDocumentOperationError} naming the field.
 */
export const assertDocumentBody = (collection: string, id: string, value: unknown): void => {
  const bad = checkValue(value, '', 0, true)
  if (bad) fail(bad, collection, id)
}

/**
 * Checks a filter: nesting depth, no field path with NUL or a reserved name,
 * and strings as in a document (no stored string can match NUL). Operators
 * (`$gt`, `$in`, …) are the filter's own business.
 * @throws {@link InvalidDocumentOperationError}
 */
export const assertFilter = (collection: string, filter: Filter | undefined): void => {
  if (filter === undefined) return
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) fail(`a filter must be an object, got ${kindOf(filter)}`, collection)
  const bad = checkValue(filter, '', 0, false)
  if (bad) fail(`filter: ${bad}`, collection)
}

/** Checks the sort paths of find options. @throws {@link InvalidDocumentOperationError} */
export const assertFindOptions = (collection: string, options: FindOptions | undefined): void => {
  for (const path of Object.keys(options?.sort ?? {})) {
    const bad = checkPath(path)
    if (bad) fail(`sort: ${bad}`, collection)
  }
}

/**
 * Checks the field paths and values of an update spec (operators are checked
 * by `validateUpdate`): paths as in a filter, without `$` segments; values
 * as document bodies.
 * @throws {@link InvalidDocumentOperationError}
 */
export const assertUpdateFields = (collection: string, id: string, spec: object): void => {
  // for…in with own-key checks, not Object.keys: this runs for every update a handler makes.
  for (const op in spec) {
    const fields = (spec as Record<string, unknown>)[op]
    if (!hasOwn(spec, op) || fields === null || typeof fields !== 'object') continue
    for (const path in fields) {
      if (!hasOwn(fields, path)) continue
      const bad = checkPath(path) ?? (path.includes('$') && path.split('.').some((s) => s.startsWith('$')) ? `'${path}': a field name must not start with $` : undefined)
      if (bad) fail(`${op}: ${bad}`, collection, id)
      const value = (fields as Record<string, unknown>)[path]
      if (typeof value === 'number' || typeof value === 'boolean' || value === null) continue
      const valueBad = checkOperand(op, value, path)
      if (valueBad) fail(`${op}: ${valueBad}`, collection, id)
    }
  }
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)

/**
 * Checks what an update operator is given for one field. `$pull` takes a
 * condition (operators allowed, as in a filter); `$push` and `$addToSet`
 * take a value or modifiers (`$each`, `$sort`, …) whose `$each` items are
 * stored; every other operand is stored as it is.
 */
const checkOperand = (op: string, value: unknown, path: string): string | undefined => {
  if (op === '$pull') return checkValue(value, path, 1, false)
  if ((op === '$push' || op === '$addToSet') && isModifierForm(value)) {
    for (const key of Object.keys(value)) {
      const operand = (value as Record<string, unknown>)[key]
      const bad = key === '$each' ? checkValue(operand, `${path}.$each`, 1, true) : checkValue(operand, `${path}.${key}`, 1, false)
      if (bad) return bad
    }
    return undefined
  }
  return checkValue(value, path, 1, true)
}

const isModifierForm = (value: unknown): value is object =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && hasOwn(value, '$each')

/** Checks an index declaration: its collection and key paths. @throws {@link InvalidDocumentOperationError} */
export const assertIndexSpec = (spec: IndexSpec): void => {
  assertCollectionName(spec.collection)
  for (const path of Object.keys(spec.keys ?? {})) {
    const bad = checkPath(path) ?? (path.split('.').some((s) => s === '' || s.startsWith('$')) ? `cannot index the path '${path}'` : undefined)
    if (bad) fail(bad, spec.collection)
  }
}

/**
 * Checks what a store is asked to write in one commit.
 * @throws {@link InvalidDocumentOperationError} for a write, {@link ValidationError} for the checkpoint's name.
 */
export const assertCommitRequest = ({ writes, fence, checkpoint }: CommitRequest): void => {
  for (const w of writes) assertWrite(w)
  if (fence) assertWrite(fence)
  if (checkpoint) assertCheckpointName(checkpoint.name)
}

/**
 * Checks a checkpoint name (or a prefix of names, with `prefix`): a string
 * of at most `MAX_NAME_BYTES` bytes without NUL, non-empty unless a prefix.
 * @throws {@link ValidationError}
 */
export const assertCheckpointName = (name: unknown, { prefix = false }: { prefix?: boolean } = {}): void => {
  const what = prefix ? 'checkpoint prefix' : 'checkpoint name'
  if (typeof name !== 'string' || (!prefix && name.length === 0)) {
    throw new ValidationError(`A ${what} must be a ${prefix ? '' : 'non-empty '}string`, [{ path: what, message: kindOf(name) }])
  }
  if (name.length * 3 > MAX_NAME_BYTES && Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new ValidationError(`A ${what} is at most ${MAX_NAME_BYTES} bytes`, [{ path: what, message: `starting '${name.slice(0, 40)}'` }])
  }
  if (name.includes('\0')) throw new ValidationError(`A ${what} must not contain NUL`, [{ path: what, message: name.replaceAll('\0', '\\0') }])
}

const assertWrite = (w: DocumentWrite): void => {
  assertCollectionName(w.collection)
  if (w.kind === 'delete') return assertDocumentId(w.collection, w.id)
  if (w.doc === null || typeof w.doc !== 'object') fail('a document must be an object', w.collection)
  assertDocumentId(w.collection, w.doc._id)
  assertDocumentBody(w.collection, w.doc._id, w.doc)
}

/** Checks a collection and an id, as `get` receives them. @throws {@link InvalidDocumentOperationError} */
export const assertDocumentKey = (collection: unknown, id: unknown): void => {
  assertCollectionName(collection)
  assertDocumentId(collection as string, id)
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v)

/** What is wrong with one field path (dotted), if anything. */
const checkPath = (path: string): string | undefined => {
  if (path.includes('\0')) return `a field name must not contain NUL ('${path.replaceAll('\0', '\\0')}')`
  // Scans without splitting first: almost every path names none of them.
  if (!path.includes('__proto__') && !path.includes('constructor') && !path.includes('prototype')) return undefined
  for (const segment of path.split('.')) {
    if (RESERVED_FIELD_NAMES.includes(segment)) return `'${path}': '${segment}' is not allowed as a field name`
  }
  return undefined
}

/**
 * What is wrong under `value`, if anything. `body` marks document data (no
 * `$` field names); otherwise `value` is a filter, whose
 * `$` keys are operators and whose other keys are field paths.
 */
const checkValue = (value: unknown, at: string, depth: number, body: boolean): string | undefined => {
  if (typeof value === 'string') return checkString(value, at)
  if (value === null || typeof value !== 'object' || value instanceof Date) return undefined
  if (depth >= MAX_JSON_DEPTH) return `${at || 'the value'}: nesting deeper than ${MAX_JSON_DEPTH} levels is not stored`
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = checkValue(value[i], `${at}[${i}]`, depth + 1, body)
      if (bad) return bad
    }
    return undefined
  }
  for (const key of Object.keys(value)) {
    const path = at ? `${at}.${key}` : key
    if (body) {
      if (key.startsWith('$')) return `'${path}': a field name must not start with $`
      if (key.includes('\0') || RESERVED_FIELD_NAMES.includes(key)) return checkPath(key)
    } else if (!key.startsWith('$')) {
      const bad = checkPath(key)
      if (bad) return bad
    }
    const bad = checkValue((value as Record<string, unknown>)[key], path, depth + 1, body)
    if (bad) return bad
  }
  return undefined
}

// Node 20's String.prototype.isWellFormed: false when the string holds a lone surrogate.
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed()

const checkString = (s: string, at: string): string | undefined => {
  if (s.includes('\0')) return `${at || 'the value'}: a NUL character cannot be stored`
  if (!isWellFormed(s)) return `${at || 'the value'}: a lone surrogate cannot be stored`
  return undefined
}
