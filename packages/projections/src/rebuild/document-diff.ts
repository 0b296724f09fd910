import type { Document } from '../documents/document'
import type { DocumentStore } from '../documents/document-store'

/** One field that differs between two versions of a document. */
export interface FieldDifference {
  /** Dotted path of the field (`balance`, `address.city`, `tags.2`). */
  readonly path: string
  /** The value in the live read model; absent when the field is new. */
  readonly old?: unknown
  /** The value in the rebuilt read model; absent when the field is gone. */
  readonly new?: unknown
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]))
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    return [...keys].every((k) => k in a && k in b && sameJson(a[k], b[k]))
  }
  return false
}

/**
 * The fields in which two JSON values differ, down to the leaves both sides
 * share: objects are compared key by key, arrays of the same length item by
 * item; anything else that differs is one difference at its path.
 */
export const fieldDifferences = (old: unknown, next: unknown, path = ''): FieldDifference[] => {
  if (sameJson(old, next)) return []
  const at = (key: string | number): string => (path === '' ? String(key) : `${path}.${key}`)
  if (isPlainObject(old) && isPlainObject(next)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])].sort()
    return keys.flatMap((k): FieldDifference[] => {
      if (!(k in next)) return [{ path: at(k), old: old[k] }]
      if (!(k in old)) return [{ path: at(k), new: next[k] }]
      return fieldDifferences(old[k], next[k], at(k))
    })
  }
  if (Array.isArray(old) && Array.isArray(next) && old.length === next.length) return old.flatMap((x, i) => fieldDifferences(x, next[i], at(i)))
  return [{ path, old, new: next }]
}

/**
 * The documents of a collection in pages of `pageSize`, by `_id` (each page
 * starts after the last id of the previous one), so memory holds one page
 * however large the collection is.
 */
export async function* documentPages(documents: DocumentStore, collection: string, pageSize: number): AsyncGenerator<Document[]> {
  let after: string | undefined
  for (;;) {
    const page = await documents.find(collection, after === undefined ? {} : { _id: { $gt: after } }, { sort: { _id: 1 }, limit: pageSize })
    if (page.length === 0) return
    yield page
    if (page.length < pageSize) return
    after = page[page.length - 1]!._id
  }
}
