import type { RecordedEvent } from '@eventfold/core'
import type { DocumentStore, DocumentWrite, StoredDocument } from '../documents/document-store'

/**
 * What one projection generation has done with the events of one stream,
 * stored as a document whose id is the stream id.
 */
export interface StreamMarker {
  /** Highest revision applied or parked. */
  readonly revision: bigint
  /** Revisions at or below `revision` that were parked, not applied: a replay of one is applied. */
  readonly parked: readonly bigint[]
}

interface Entry {
  readonly stored: StoredDocument | undefined
  marker: StreamMarker | undefined
  changed: boolean
}

/**
 * The markers of the streams of one batch: which events of each stream are
 * already applied. Read once per attempt at the batch, advanced in memory as
 * events are applied or parked, and written with the batch's document writes
 * in one transaction, each write expecting the revision it read, so that two
 * consumers that both hold a stream for a moment cannot both apply an event.
 */
export class StreamMarkers {
  private constructor(
    private readonly collection: string,
    private readonly entries: Map<string, Entry>,
  ) {}

  /** Reads the markers of `streamIds` from `collection`. */
  static async load(store: DocumentStore, collection: string, streamIds: Iterable<string>): Promise<StreamMarkers> {
    const ids = [...new Set(streamIds)]
    const found = await store.getMany(collection, ids)
    const entries = new Map<string, Entry>()
    for (const id of ids) {
      const stored = found.get(id)
      entries.set(id, { stored, marker: stored && fromDoc(stored), changed: false })
    }
    return new StreamMarkers(collection, entries)
  }

  /** True when `event` is neither applied nor parked yet, or parked and delivered again (a replay). */
  isPending({ streamId, revision }: RecordedEvent): boolean {
    const marker = this.entry(streamId).marker
    return marker === undefined || revision > marker.revision || marker.parked.includes(revision)
  }

  /** Records that `event` was applied. */
  applied({ streamId, revision }: RecordedEvent): void {
    this.advance(streamId, revision, (parked) => parked.filter((r) => r !== revision))
  }

  /** Records that `event` was parked instead of applied. */
  parked({ streamId, revision }: RecordedEvent): void {
    this.advance(streamId, revision, (parked) => (parked.includes(revision) ? parked : [...parked, revision]))
  }

  /** The writes of the markers that changed, each expecting the revision it was read at. */
  writes(): DocumentWrite[] {
    const writes: DocumentWrite[] = []
    for (const [id, { stored, marker, changed }] of this.entries) {
      if (!changed || !marker) continue
      const expectedRevision = stored?.meta.revision ?? 0
      writes.push({
        kind: 'put',
        collection: this.collection,
        doc: { _id: id, revision: marker.revision.toString(), parked: marker.parked.map((r) => r.toString()) },
        meta: { revision: expectedRevision + 1, positions: {} },
        expectedRevision,
      })
    }
    return writes
  }

  private advance(streamId: string, revision: bigint, parked: (current: readonly bigint[]) => readonly bigint[]): void {
    const entry = this.entry(streamId)
    const current = entry.marker ?? { revision, parked: [] }
    entry.marker = { revision: revision > current.revision ? revision : current.revision, parked: parked(current.parked) }
    entry.changed = true
  }

  private entry(streamId: string): Entry {
    const entry = this.entries.get(streamId)
    if (!entry) throw new RangeError(`Stream '${streamId}' was not loaded into this batch's markers`)
    return entry
  }
}

const fromDoc = ({ doc }: StoredDocument): StreamMarker => ({
  revision: BigInt(doc.revision as string),
  parked: ((doc.parked as string[] | undefined) ?? []).map((r) => BigInt(r)),
})
