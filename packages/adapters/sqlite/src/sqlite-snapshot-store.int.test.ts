import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { Snapshot } from '@eventfold/core'
import { openSqlite, type SqliteConnection } from './sqlite-connection'
import { SqliteEventStore } from './sqlite-event-store'
import { SqliteSnapshotStore } from './sqlite-snapshot-store'
import { tempDir, type TempDir } from './test-support/temp-dir'

const snapshot = (revision: bigint, state: unknown = { balance: Number(revision) }): Snapshot => ({
  streamId: 'Account-1',
  revision,
  schemaVersion: 2,
  state,
  takenAt: '2024-03-04T05:06:07.000Z',
})

describe('SqliteSnapshotStore', () => {
  let dir: TempDir
  let sqlite: SqliteConnection
  let snapshots: SqliteSnapshotStore

  beforeEach(() => {
    dir = tempDir()
    sqlite = openSqlite(dir.file('app.db'))
    snapshots = new SqliteSnapshotStore(sqlite)
  })

  afterEach(async () => {
    await sqlite.close()
    dir.remove()
  })

  it('round-trips a snapshot: bigint revision beyond 2^53, JSON state, schema version, time taken', async () => {
    const big = 2n ** 53n + 7n
    const saved = snapshot(big, { balance: 12.5, owners: ['Ann', 'Bob'], closed: false, note: null })

    await snapshots.save(saved)

    await expect(snapshots.load('Account-1')).resolves.toEqual(saved)
  })

  it('loads nothing for a stream without a snapshot', async () => {
    await expect(snapshots.load('Account-404')).resolves.toBeUndefined()
  })

  it('keeps the newest snapshot: an older save is ignored, a newer or equal one replaces it', async () => {
    await snapshots.save(snapshot(10n))
    await snapshots.save(snapshot(5n))
    expect((await snapshots.load('Account-1'))?.revision).toBe(10n)

    await snapshots.save(snapshot(10n, { balance: 'recomputed' }))
    expect((await snapshots.load('Account-1'))?.state).toEqual({ balance: 'recomputed' })

    await snapshots.save(snapshot(12n))
    expect((await snapshots.load('Account-1'))?.revision).toBe(12n)
  })

  it('keeps the snapshots of different streams apart', async () => {
    await snapshots.save(snapshot(1n))
    await snapshots.save({ ...snapshot(7n), streamId: 'Account-2' })

    expect((await snapshots.load('Account-1'))?.revision).toBe(1n)
    expect((await snapshots.load('Account-2'))?.revision).toBe(7n)
  })

  it('deletes a snapshot, and deleting a missing one is harmless', async () => {
    await snapshots.save(snapshot(3n))

    await snapshots.delete('Account-1')
    await snapshots.delete('Account-1')

    await expect(snapshots.load('Account-1')).resolves.toBeUndefined()
  })

  it('refuses a state JSON cannot hold and keeps the stored snapshot', async () => {
    await snapshots.save(snapshot(3n))

    await expect(snapshots.save(snapshot(4n, { total: 10n }))).rejects.toMatchObject({ type: 'serialization', path: 'state.total' })

    expect((await snapshots.load('Account-1'))?.revision).toBe(3n)
  })

  it('shares the file with the event log and survives reopening', async () => {
    const events = new SqliteEventStore(sqlite)
    await events.appendToStream('Account-1', [{ type: 'Opened', data: {} }])
    await snapshots.save(snapshot(0n))
    await sqlite.close()

    sqlite = openSqlite(dir.file('app.db'))
    snapshots = new SqliteSnapshotStore(sqlite)

    expect((await snapshots.load('Account-1'))?.revision).toBe(0n)
    expect(await new SqliteEventStore(sqlite).streamRevision('Account-1')).toBe(0n)
  })
})
