/** A read-model document: a JSON object keyed by a string `_id`. */
export interface Document {
  readonly _id: string
  readonly [field: string]: unknown
}

/** A MongoDB query filter (`{ owner: 'Ann', balance: { $gt: 0 } }`). Semantics are MongoDB's. */
export type Filter = Readonly<Record<string, unknown>>

/** MongoDB update operators supported by every document store. */
export interface UpdateSpec {
  readonly $set?: Readonly<Record<string, unknown>>
  readonly $inc?: Readonly<Record<string, number>>
  readonly $push?: Readonly<Record<string, unknown>>
  readonly $pull?: Readonly<Record<string, unknown>>
  readonly $unset?: Readonly<Record<string, '' | 1 | true>>
  /** Applied only when the update inserts the document (upsert). */
  readonly $setOnInsert?: Readonly<Record<string, unknown>>
  readonly $max?: Readonly<Record<string, unknown>>
  readonly $min?: Readonly<Record<string, unknown>>
}

/** The operators {@link UpdateSpec} allows, for validation. */
export const UPDATE_OPERATORS = ['$set', '$inc', '$push', '$pull', '$unset', '$setOnInsert', '$max', '$min'] as const

/** Options of `find`. */
export interface FindOptions {
  /** MongoDB sort spec, e.g. `{ balance: -1 }`. */
  readonly sort?: Readonly<Record<string, 1 | -1>>
  readonly skip?: number
  readonly limit?: number
}

/** An index a projection declares on one of its collections. */
export interface IndexSpec {
  readonly collection: string
  readonly keys: Readonly<Record<string, 1 | -1>>
  /** @default false */
  readonly unique?: boolean
  /** @default derived from the keys */
  readonly name?: string
}
