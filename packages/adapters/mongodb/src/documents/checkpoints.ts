import type { ClientSession, Collection } from 'mongodb'
import { InvalidDocumentOperationError } from '@eventfold/projections'
import { type CheckpointWrite } from '@eventfold/projections/spi'

/** The collection that holds checkpoints, beside the read models. */
export const CHECKPOINT_COLLECTION = '_ef_checkpoints'

/** A checkpoint as stored: the subscriber's name is the `_id`. */
export interface CheckpointDocument {
  readonly _id: string
  /** The position as a decimal string, zero-padded to 20 digits (any uint64): exact, and ordered as text. */
  readonly position: string
  /** When the checkpoint last moved. */
  readonly updatedAt: Date
}

const DIGITS = 20

/** `90n` → `'00000000000000000090'`. */
export const encodePosition = (position: bigint): string => {
  if (position < 0n) throw new InvalidDocumentOperationError(`checkpoint position ${position} is negative`, CHECKPOINT_COLLECTION)
  return position.toString().padStart(DIGITS, '0')
}

export const decodePosition = (stored: string): bigint => BigInt(stored)

/** Regular expression matching the strings that start with `prefix`, anchored so that the server can use an index. */
export const prefixPattern = (prefix: string): RegExp => new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)

/** Reads and writes checkpoints in their collection. */
export class Checkpoints {
  constructor(private readonly collection: Collection<CheckpointDocument>) {}

  async save({ name, position }: CheckpointWrite, session?: ClientSession): Promise<void> {
    await this.collection.updateOne(
      { _id: name },
      { $set: { position: encodePosition(position), updatedAt: new Date() } },
      { upsert: true, ...(session ? { session } : {}) },
    )
  }

  async read(name: string): Promise<bigint | undefined> {
    const found = await this.collection.findOne({ _id: name }, { projection: { position: 1 } })
    return found ? decodePosition(found.position) : undefined
  }

  async list(prefix: string): Promise<Map<string, bigint>> {
    const found = new Map<string, bigint>()
    const cursor = this.collection.find(prefix ? { _id: prefixPattern(prefix) } : {}, { projection: { position: 1 }, sort: { _id: 1 } })
    for await (const { _id, position } of cursor) found.set(_id, decodePosition(position))
    return found
  }

  async delete(names: readonly string[]): Promise<void> {
    if (names.length > 0) await this.collection.deleteMany({ _id: { $in: [...names] } })
  }
}
