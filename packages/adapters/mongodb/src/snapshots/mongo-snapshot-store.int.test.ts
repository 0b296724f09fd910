import { randomBytes } from 'node:crypto'
import { beforeEach, expect, it } from '@jest/globals'
import { Long } from 'mongodb'
import type { Snapshot } from '@eventfold/core'
import { describeMongo } from '../testing/connect'
import { MongoSnapshotStore, SNAPSHOT_COLLECTION, type SnapshotDocument } from './mongo-snapshot-store'

describeMongo('MongoSnapshotStore', (mongo) => {
  let snapshots: MongoSnapshotStore
  let streamId: string

  const snapshot = (revision: bigint, state: unknown = { balance: Number(revision) }, id = streamId): Snapshot => ({
    streamId: id,
    revision,
    schemaVersion: 2,
    state,
    takenAt: '2024-03-04T05:06:07.000Z',
  })

  beforeEach(() => {
    snapshots = new MongoSnapshotStore(mongo().client, mongo().dbName)
    streamId = `Account-${randomBytes(5).toString('hex')}`
  })

  it.each([
    ['$ne', { $ne: 'nobody' }],
    ['$gt', { $gt: '' }],
    ['a number', 7],
  ])('refuses a stream id that is %s with a ValidationError instead of querying with it', async (_, hostile) => {
    await snapshots.save(snapshot(1n))
    await expect(snapshots.load(hostile as unknown as string)).rejects.toMatchObject({ type: 'validation' })
    await expect(snapshots.delete(hostile as unknown as string)).rejects.toMatchObject({ type: 'validation' })
    await expect(snapshots.save(snapshot(2n, {}, hostile as unknown as string))).rejects.toMatchObject({ type: 'validation' })
    await expect(snapshots.load(streamId)).resolves.toMatchObject({ revision: 1n })
  })

  it('round-trips a snapshot: bigint revision beyond 2^53, JSON state, schema version, time taken', async () => {
    const saved = snapshot(2n ** 53n + 7n, { balance: 12.5, owners: ['Ann', 'Bob'], closed: false, note: null, 'by.email': { 'ann@example.com': 1, $weird: 2 } })

    await snapshots.save(saved)

    await expect(snapshots.load(streamId)).resolves.toEqual(saved)
  })

  it('stores one document per stream, with the revision as a 64-bit integer', async () => {
    await snapshots.save(snapshot(41n))

    const stored = await mongo().client.db(mongo().dbName).collection<SnapshotDocument>(SNAPSHOT_COLLECTION).findOne({ _id: streamId }, { promoteLongs: false })

    expect(stored).toEqual({ _id: streamId, revision: Long.fromNumber(41), schemaVersion: 2, state: '{"balance":41}', takenAt: '2024-03-04T05:06:07.000Z' })
  })

  it('loads nothing for a stream without a snapshot', async () => {
    await expect(snapshots.load('Account-404')).resolves.toBeUndefined()
  })

  it('keeps the newest snapshot: an older save is ignored, a newer or equal one replaces it', async () => {
    await snapshots.save(snapshot(10n))
    await snapshots.save(snapshot(5n))
    expect((await snapshots.load(streamId))?.revision).toBe(10n)

    await snapshots.save(snapshot(10n, { balance: 'recomputed' }))
    expect((await snapshots.load(streamId))?.state).toEqual({ balance: 'recomputed' })

    await snapshots.save(snapshot(2n ** 62n))
    expect((await snapshots.load(streamId))?.revision).toBe(2n ** 62n)
  })

  it('keeps the newest snapshot when many saves of one stream race', async () => {
    const revisions = Array.from({ length: 30 }, (_, i) => BigInt((i * 17) % 30))

    await Promise.all(revisions.map((r) => snapshots.save(snapshot(r))))

    expect(await snapshots.load(streamId)).toEqual(snapshot(29n))
  })

  it('keeps the snapshots of different streams apart', async () => {
    await snapshots.save(snapshot(1n))
    await snapshots.save(snapshot(7n, undefined, `${streamId}-other`))

    expect((await snapshots.load(streamId))?.revision).toBe(1n)
    expect((await snapshots.load(`${streamId}-other`))?.revision).toBe(7n)
  })

  it('deletes a snapshot, and deleting a missing one is harmless', async () => {
    await snapshots.save(snapshot(3n))

    await snapshots.delete(streamId)
    await snapshots.delete(streamId)

    await expect(snapshots.load(streamId)).resolves.toBeUndefined()
    await snapshots.save(snapshot(1n))
    expect((await snapshots.load(streamId))?.revision).toBe(1n)
  })

  it('refuses a state JSON cannot hold and keeps the stored snapshot', async () => {
    await snapshots.save(snapshot(3n))

    await expect(snapshots.save(snapshot(4n, { total: 10n }))).rejects.toMatchObject({ type: 'serialization', path: 'state.total' })

    expect((await snapshots.load(streamId))?.revision).toBe(3n)
  })

  it('uses the collection it is given', async () => {
    const elsewhere = new MongoSnapshotStore(mongo().client, mongo().dbName, { collection: 'my_snapshots' })
    await elsewhere.save(snapshot(2n))

    expect(await snapshots.load(streamId)).toBeUndefined()
    expect((await elsewhere.load(streamId))?.revision).toBe(2n)
  })
})
