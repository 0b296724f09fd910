import type { Collection, IndexDescription } from 'mongodb'
import type { Document, IndexSpec } from '@eventfold/projections'
import type { MongoDocument } from './bookkeeping'

/** The index's name: the declared one, or MongoDB's default (`tenant_1_email_-1`). */
export const indexName = (spec: IndexSpec): string =>
  spec.name ?? Object.entries(spec.keys).map(([path, direction]) => `${path}_${direction}`).join('_')

/** The `createIndexes` description of a declared index. */
export const indexDescription = (spec: IndexSpec): IndexDescription => ({
  key: { ...spec.keys },
  name: indexName(spec),
  unique: spec.unique ?? false,
})

/**
 * The id of a document whose values of `keys` another document of the
 * collection also has (a missing field counts as `null`, as in a unique
 * index), or `undefined`. Uses only `$group` with `$sum`, which every
 * MongoDB-wire server runs.
 */
export const findDuplicate = async (collection: Collection<MongoDocument>, keys: IndexSpec['keys']): Promise<string | undefined> => {
  const paths = Object.keys(keys)
  const group = Object.fromEntries(paths.map((path, i) => [`k${i}`, `$${path}`]))
  const [shared] = await collection
    .aggregate<{ _id: Record<string, unknown> }>([{ $group: { _id: group, n: { $sum: 1 } } }, { $match: { n: { $gt: 1 } } }, { $limit: 1 }])
    .toArray()
  if (!shared) return undefined
  const filter = Object.fromEntries(paths.map((path, i) => [path, shared._id[`k${i}`] ?? null]))
  const found = await collection.findOne(filter, { projection: { _id: 1 }, sort: { _id: -1 } })
  return found?._id
}

/** The value at a dotted path of a document, `null` when missing (as a unique index keys a missing field). */
const valueAt = (doc: Record<string, unknown>, path: string): unknown => {
  let value: unknown = doc
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object') return null
    value = (value as Record<string, unknown>)[segment]
  }
  return value ?? null
}

/**
 * Another document of the collection that holds the key `doc` would have
 * under one of the collection's unique indexes (`_id` aside), or `undefined`.
 * Confirms a unique violation the server did not report as E11000.
 */
export const findUniqueHolder = async (collection: Collection<MongoDocument>, doc: Document): Promise<string | undefined> => {
  for (const index of await collection.listIndexes().toArray()) {
    if (!index.unique || index.name === '_id_') continue
    const filter = Object.fromEntries(Object.keys(index.key as Record<string, unknown>).map((path) => [path, valueAt(doc, path)]))
    const holder = await collection.findOne({ ...filter, _id: { $ne: doc._id } }, { projection: { _id: 1 } })
    if (holder) return holder._id
  }
  return undefined
}
