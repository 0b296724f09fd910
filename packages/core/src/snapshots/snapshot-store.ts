import { assertName } from '../events/limits'
/** The saved state of one aggregate at one revision. */
export interface Snapshot {
  readonly streamId: string
  /** Revision of the last event folded into `state`. */
  readonly revision: bigint
  /** Version of the aggregate's state shape when the snapshot was taken. */
  readonly schemaVersion: number
  readonly state: unknown
  /** ISO-8601 instant the snapshot was taken. */
  readonly takenAt: string
}

/** Port for snapshot storage. Snapshots are a cache: losing one costs time, never data. */
export interface SnapshotStore {
  /** The latest snapshot of a stream, if any. */
  load(streamId: string): Promise<Snapshot | undefined>
  /** Replaces the stream's snapshot. Stores keep only the newest one. */
  save(snapshot: Snapshot): Promise<void>
  /** Removes the stream's snapshot (e.g. after its stream was deleted). */
  delete(streamId: string): Promise<void>
}

/** The reference {@link SnapshotStore}, in process memory. State is kept as JSON, as durable stores do. */
export class InMemorySnapshotStore implements SnapshotStore {
  private readonly snapshots = new Map<string, { streamId: string; revision: bigint; schemaVersion: number; state: string; takenAt: string }>()

  async load(streamId: string): Promise<Snapshot | undefined> {
    assertName(streamId, 'streamId')
    const s = this.snapshots.get(streamId)
    return s && { ...s, state: JSON.parse(s.state) as unknown }
  }

  async save(snapshot: Snapshot): Promise<void> {
    assertName(snapshot.streamId, 'streamId')
    const current = this.snapshots.get(snapshot.streamId)
    if (current && current.revision > snapshot.revision) return
    this.snapshots.set(snapshot.streamId, { ...snapshot, state: JSON.stringify(snapshot.state) })
  }

  async delete(streamId: string): Promise<void> {
    assertName(streamId, 'streamId')
    this.snapshots.delete(streamId)
  }
}
