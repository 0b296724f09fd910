import type Database from 'better-sqlite3'
import { StoreClosedError, type Snapshot, type SnapshotStore } from '@eventfold/core'
import { fromJson, toJson, assertName } from '@eventfold/core/spi'
import { SNAPSHOT_SCHEMA, SNAPSHOT_SCHEMA_MODULE } from './snapshot-schema'
import type { SqliteConnection } from './sqlite-connection'

interface SnapshotRow {
  readonly stream_id: string
  readonly revision: bigint
  readonly schema_version: bigint
  readonly state: string
  readonly taken_at: string
}

/**
 * The {@link SnapshotStore} in an SQLite file, beside the event log: one row
 * per stream, the newest snapshot wins (a save older than the stored one is
 * ignored, so a slow writer cannot roll a snapshot back).
 * @example
 * ```ts
 * const sqlite = openSqlite('bank.db')
 * const snapshots = new SqliteSnapshotStore(sqlite)
 * await snapshots.save({ streamId: 'Account-1', revision: 41n, schemaVersion: 1, state: { balance: 5 }, takenAt: new Date().toISOString() })
 * ```
 */
export class SqliteSnapshotStore implements SnapshotStore {
  private readonly statements: {
    readonly load: Database.Statement<[string], SnapshotRow>
    readonly save: Database.Statement<[string, bigint, number, string, string]>
    readonly delete: Database.Statement<[string]>
  }

  /** Uses `connection`, creating the snapshot table on first use. */
  constructor(private readonly connection: SqliteConnection) {
    connection.migrate(SNAPSHOT_SCHEMA_MODULE, SNAPSHOT_SCHEMA)
    const { db } = connection
    this.statements = {
      load: db
        .prepare<[string], SnapshotRow>(
          'SELECT stream_id, revision, schema_version, state, taken_at FROM eventfold_snapshots WHERE stream_id = ?',
        )
        .safeIntegers(true),
      save: db.prepare<[string, bigint, number, string, string]>(
        `INSERT INTO eventfold_snapshots (stream_id, revision, schema_version, state, taken_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (stream_id) DO UPDATE SET
           revision = excluded.revision, schema_version = excluded.schema_version,
           state = excluded.state, taken_at = excluded.taken_at
         WHERE excluded.revision >= eventfold_snapshots.revision`,
      ),
      delete: db.prepare<[string]>('DELETE FROM eventfold_snapshots WHERE stream_id = ?'),
    }
  }

  async load(streamId: string): Promise<Snapshot | undefined> {
    assertName(streamId, 'streamId')
    this.assertOpen()
    const row = this.statements.load.get(streamId)
    return (
      row && {
        streamId: row.stream_id,
        revision: row.revision,
        schemaVersion: Number(row.schema_version),
        state: fromJson(row.state, 'state'),
        takenAt: row.taken_at,
      }
    )
  }

  /** @throws {@link SerializationError} when the state cannot be stored as JSON. */
  async save(snapshot: Snapshot): Promise<void> {
    assertName(snapshot.streamId, 'streamId')
    this.assertOpen()
    const state = toJson(snapshot.state, 'state')
    this.statements.save.run(snapshot.streamId, snapshot.revision, snapshot.schemaVersion, state, snapshot.takenAt)
  }

  async delete(streamId: string): Promise<void> {
    assertName(streamId, 'streamId')
    this.assertOpen()
    this.statements.delete.run(streamId)
  }

  private assertOpen(): void {
    if (!this.connection.isOpen) throw new StoreClosedError('SqliteSnapshotStore')
  }
}
