import { Query, find as mingoFind } from 'mingo'
import * as updateOperators from 'mingo/operators/update'
import type { Document, Filter, FindOptions, UpdateSpec } from './document'
import { UPDATE_OPERATORS } from './document'
import { InvalidDocumentOperationError } from '../errors/errors'

// Query and update semantics come from mingo, a MongoDB-compatible engine,
// so that the in-memory and embedded stores behave as MongoDB does.

type AnyObject = Record<string, unknown>

/**
 * Checks an update spec: only {@link UPDATE_OPERATORS}, no `_id` change.
 * @throws {@link InvalidDocumentOperationError}
 */
export const validateUpdate = (collection: string, id: string, spec: UpdateSpec): void => {
  // for…in with own-key checks, not Object.keys: this runs for every update a handler makes.
  let operators = 0
  for (const k in spec) {
    if (!hasOwn(spec, k)) continue
    operators++
    if (!(UPDATE_OPERATORS as readonly string[]).includes(k)) {
      throw new InvalidDocumentOperationError(`unsupported update operator '${k}' (use ${UPDATE_OPERATORS.join(', ')})`, collection, id)
    }
    const fields = (spec as Record<string, AnyObject>)[k]
    if (!fields || typeof fields !== 'object') continue
    for (const f in fields) {
      if (hasOwn(fields, f) && (f === '_id' || f.startsWith('_id.'))) {
        throw new InvalidDocumentOperationError(`'${k}' cannot change _id`, collection, id)
      }
    }
  }
  if (operators === 0) throw new InvalidDocumentOperationError('an update needs at least one operator', collection, id)
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)

/** True when an update carries objects or arrays as values (`{ $push: { tags: ['a'] } }`), not only scalars. */
export const hasNestedValues = (spec: UpdateSpec): boolean => {
  for (const op in spec) {
    const fields = (spec as Record<string, unknown>)[op]
    if (!hasOwn(spec, op) || fields === null || typeof fields !== 'object') continue
    for (const k in fields) {
      const value = (fields as AnyObject)[k]
      if (hasOwn(fields, k) && value !== null && typeof value === 'object') return true
    }
  }
  return false
}

type Mutator = (obj: AnyObject) => unknown
type OperatorFactory = (expr: AnyObject) => Mutator

// mingo's top-level `update()` rebuilds its whole operator context on every
// call (~0.35 ms); its operator functions themselves are ~50x cheaper and
// have the same semantics, so documents are updated through them.
const OPERATORS: Readonly<Record<string, OperatorFactory>> = {
  $set: updateOperators.$set as unknown as OperatorFactory,
  $inc: updateOperators.$inc as unknown as OperatorFactory,
  $push: updateOperators.$push as unknown as OperatorFactory,
  $pull: updateOperators.$pull as unknown as OperatorFactory,
  $unset: updateOperators.$unset as unknown as OperatorFactory,
  $max: updateOperators.$max as unknown as OperatorFactory,
  $min: updateOperators.$min as unknown as OperatorFactory,
}

/** Options of {@link applyUpdate}. */
export interface ApplyUpdateOptions {
  /** Change `existing` itself instead of a copy (for callers that own it). @default false */
  readonly inPlace?: boolean
  /** The spec was already checked with {@link validateUpdate} (when it was recorded). @default false */
  readonly validated?: boolean
}

/**
 * A deep copy of a JSON-like value (plain objects, arrays, primitives,
 * dates), several times faster than `structuredClone` for the small update
 * specs handlers record for every event; anything else is copied by
 * `structuredClone`, so what it refuses (functions, …) fails the same way.
 */
export const clonePlain = <T>(value: T): T => {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' ? structuredClone(value) : value
  }
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length)
    for (let i = 0; i < value.length; i++) out[i] = clonePlain(value[i])
    return out as T
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto === Object.prototype || proto === null) {
    const out: AnyObject = {}
    for (const k of Object.keys(value)) {
      const v = clonePlain((value as AnyObject)[k])
      // An own `__proto__` key (from JSON.parse) stays a plain key.
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
      else out[k] = v
    }
    return out as T
  }
  if (value instanceof Date) return new Date(value.getTime()) as T
  return structuredClone(value)
}

const isTopLevelField = (key: string): boolean =>
  key.length > 0 && key.charCodeAt(0) !== 36 /* $ */ && !key.includes('.') && key !== '__proto__'

/**
 * Applies `$set` of primitives and `$inc` on top-level fields directly,
 * which is what most projection handlers do on every event; returns false
 * (having changed nothing) for any other update, which mingo then applies.
 * The result is mingo's own, field by field and in key order (a test
 * compares both on generated updates): `$inc` adds to a number or creates
 * the field, and leaves a non-numeric field as it is; `$set` assigns.
 */
export const applySimpleUpdate = (doc: AnyObject, spec: UpdateSpec): boolean => {
  for (const op in spec) {
    if (!hasOwn(spec, op)) continue
    if (op !== '$set' && op !== '$inc') return false
    const fields = (spec as Record<string, AnyObject | undefined>)[op]
    if (fields === undefined) continue
    if (fields === null || typeof fields !== 'object') return false
    for (const key in fields) {
      if (!hasOwn(fields, key)) continue
      if (!isTopLevelField(key)) return false
      const value = fields[key]
      if (op === '$inc') {
        // mingo counts NaN as not a number, both as the amount and as the field.
        if (typeof value !== 'number' || Number.isNaN(value)) return false
        const current = doc[key]
        if (current !== undefined && (typeof current !== 'number' || Number.isNaN(current))) return false
      } else if (value !== null && typeof value === 'object') return false
      else if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return false
    }
  }
  // A field both set and incremented: mingo's order and its no-op on non-numbers decide.
  if (spec.$set && spec.$inc) for (const key in spec.$inc) if (hasOwn(spec.$inc, key) && hasOwn(spec.$set, key)) return false
  for (const op in spec) {
    const fields = (spec as Record<string, AnyObject | undefined>)[op]
    if (!hasOwn(spec, op) || fields === undefined) continue
    if (op === '$inc') {
      for (const key in fields) if (hasOwn(fields, key)) doc[key] = ((doc[key] as number | undefined) || 0) + (fields[key] as number)
    } else {
      for (const key in fields) {
        if (!hasOwn(fields, key)) continue
        const value = fields[key]
        // mingo leaves an equal value as it is (0 and -0, NaN and NaN are equal there).
        if (doc[key] === value || (value !== value && doc[key] !== doc[key])) continue
        doc[key] = value
      }
    }
  }
  return true
}

/**
 * Applies a MongoDB update to one document.
 * @returns the new document, or `undefined` when it does not exist and `upsert` is false.
 * @throws {@link InvalidDocumentOperationError} for an unsupported operator or a failed update.
 */
export const applyUpdate = (
  collection: string,
  id: string,
  existing: Document | undefined,
  spec: UpdateSpec,
  upsert: boolean,
  { inPlace = false, validated = false }: ApplyUpdateOptions = {},
): Document | undefined => {
  if (!validated) validateUpdate(collection, id, spec)
  if (!existing && !upsert) return undefined
  const doc: AnyObject = existing ? (inPlace ? (existing as AnyObject) : structuredClone(existing as AnyObject)) : { _id: id }
  if (existing && applySimpleUpdate(doc, spec)) return doc as Document
  try {
    if (!existing && spec.$setOnInsert) OPERATORS.$set!(structuredClone(spec.$setOnInsert as AnyObject))(doc)
    for (const [op, expr] of Object.entries(spec)) {
      if (op === '$setOnInsert' || expr === undefined) continue
      OPERATORS[op]!(expr as AnyObject)(doc)
    }
  } catch (cause) {
    throw new InvalidDocumentOperationError(`update failed: ${(cause as Error).message}`, collection, id)
  }
  return doc as Document
}

/** True when `doc` matches a MongoDB filter. */
export const matches = (filter: Filter | undefined, doc: Document): boolean =>
  !filter || Object.keys(filter).length === 0 || new Query(filter as AnyObject).test(doc as AnyObject)

/**
 * Checks that a filter compiles (known operators, valid arguments).
 * @throws {@link InvalidDocumentOperationError} naming the collection.
 */
export const assertFilterParses = (collection: string, filter: Filter | undefined): void => {
  if (!filter || Object.keys(filter).length === 0) return
  try {
    new Query(filter as AnyObject)
  } catch (cause) {
    throw new InvalidDocumentOperationError(`invalid filter: ${(cause as Error).message}`, collection)
  }
}

/** Filters, sorts and pages documents with MongoDB semantics. */
export const query = (docs: Iterable<Document>, filter: Filter = {}, options: FindOptions = {}): Document[] => {
  let cursor = mingoFind([...docs] as AnyObject[], filter as AnyObject)
  if (options.sort) cursor = cursor.sort(options.sort as never)
  if (options.skip) cursor = cursor.skip(options.skip)
  if (options.limit) cursor = cursor.limit(options.limit)
  return cursor.all() as Document[]
}
