import { Long, type Collection, type MongoClient } from 'mongodb'
import { type Snapshot, type SnapshotStore } from '@eventfold/core'
import { fromJson, toJson, assertName } from '@eventfold/core/spi'
import { MongoErrorCode, serverErrorCode } from '../mongo-errors'

/** The collection that holds snapshots by default. */
export const SNAPSHOT_COLLECTION = '_ef_snapshots'

/** A snapshot as stored: one document per stream. */
export interface SnapshotDocument {
  /** The stream id. */
  readonly _id: string
  /** 64-bit integer, so that the server compares revisions as numbers. */
  readonly revision: Long
  readonly schemaVersion: number
  /** The state as JSON text: exactly what was saved, whatever its keys (dots and `$` included). */
  readonly state: string
  readonly takenAt: string
}

/** Options of {@link MongoSnapshotStore}. */
export interface MongoSnapshotStoreOptions {
  /** @default '_ef_snapshots' */
  readonly collection?: string
}

/** Attempts of a save that keeps racing with saves and deletes of the same stream. */
const SAVE_ATTEMPTS = 5

/**
 * The {@link SnapshotStore} in a MongoDB collection: one document per stream,
 * and the newest revision wins, even when saves race: a save only replaces
 * a snapshot at the same or an older revision (a conditional update on the
 * server), so a slow writer cannot roll a snapshot back.
 * @example
 * ```ts
 * const snapshots = new MongoSnapshotStore(client, 'bank')
 * await snapshots.save({ streamId: 'Account-1', revision: 41n, schemaVersion: 1, state: { balance: 5 }, takenAt: new Date().toISOString() })
 * const latest = await snapshots.load('Account-1') // { revision: 41n, … }
 * ```
 */
export class MongoSnapshotStore implements SnapshotStore {
  private readonly snapshots: Collection<SnapshotDocument>

  /** Keeps snapshots in database `dbName` of a client the caller owns. */
  constructor(client: MongoClient, dbName: string, { collection = SNAPSHOT_COLLECTION }: MongoSnapshotStoreOptions = {}) {
    this.snapshots = client.db(dbName).collection<SnapshotDocument>(collection)
  }

  async load(streamId: string): Promise<Snapshot | undefined> {
    assertName(streamId, 'streamId')
    const found = await this.snapshots.findOne({ _id: streamId }, { promoteLongs: false })
    if (!found) return undefined
    return {
      streamId,
      revision: found.revision.toBigInt(),
      schemaVersion: found.schemaVersion,
      state: fromJson(found.state, 'state'),
      takenAt: found.takenAt,
    }
  }

  /**
   * Stores the snapshot unless the stream has a newer one. A save at the
   * stored revision replaces it.
   * @throws {@link SerializationError} when the state cannot be stored as JSON; the stored snapshot is kept.
   */
  async save(snapshot: Snapshot): Promise<void> {
    assertName(snapshot.streamId, 'streamId')
    const revision = Long.fromBigInt(snapshot.revision)
    const fields = { revision, schemaVersion: snapshot.schemaVersion, state: toJson(snapshot.state, 'state'), takenAt: snapshot.takenAt }
    const notNewer = { _id: snapshot.streamId, revision: { $lte: revision } }
    for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
      try {
        const result = await this.snapshots.updateOne(notNewer, { $set: fields }, { upsert: true })
        if (result.matchedCount + result.upsertedCount > 0) return
      } catch (error) {
        if (serverErrorCode(error) !== MongoErrorCode.DuplicateKey) throw error
      }
      // Nothing replaced: the stream's snapshot is newer, or another save inserted one first.
      const stored = await this.snapshots.findOne({ _id: snapshot.streamId }, { projection: { revision: 1 }, promoteLongs: false })
      if (stored && stored.revision.greaterThan(revision)) return
    }
    throw new Error(`Snapshot of ${snapshot.streamId} at ${snapshot.revision} not saved: ${SAVE_ATTEMPTS} attempts raced with other writers`)
  }

  async delete(streamId: string): Promise<void> {
    assertName(streamId, 'streamId')
    await this.snapshots.deleteOne({ _id: streamId })
  }
}
