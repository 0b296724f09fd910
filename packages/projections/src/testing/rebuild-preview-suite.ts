import { randomBytes } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import { InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import type { DocumentStore } from '../documents/document-store'
import { physicalCollection, ProjectionStates } from '../generations/projection-state'
import { defineProjection, type ProjectionDefinition } from '../projection/projection-definition'
import { previewRebuild, type RebuildPreview } from '../rebuild/preview-rebuild'
import { rebuildProjection } from '../rebuild/rebuild-projection'
import { ProjectionWorker } from '../worker/projection-worker'

/** What {@link rebuildPreviewSuite} runs against. */
export interface RebuildPreviewSuiteOptions {
  /** A document store on the real server (closed by the caller). */
  readonly documents: () => DocumentStore
  /** Per test. @default 30000 */
  readonly timeoutMs?: number
}

type Hit = { key: string }

/** Each test's own collection, so that tests sharing a database never meet. */
const collectionOf = (name: string): string => `counts_${name.slice('preview-'.length)}`

/** The deployed code: one document per key, counting its hits. */
const countsV1 = (name: string): ProjectionDefinition =>
  defineProjection({
    name,
    collections: [collectionOf(name)],
    handlers: { Hit: (e: RecordedEvent<Hit>, view) => view.upsert(e.data.key, { $inc: { n: 1 } }) },
  })

/** The changed code: 'a' counts double, 'gone' is no longer kept, 'c' gets a tag, a total appears. */
const countsV2 = (name: string): ProjectionDefinition =>
  defineProjection({
    name,
    collections: [collectionOf(name)],
    version: 2,
    handlers: {
      Hit: (e: RecordedEvent<Hit>, view) => {
        view.upsert('total', { $inc: { n: 1 } })
        if (e.data.key === 'gone') return
        view.upsert(e.data.key, { $inc: { n: e.data.key === 'a' ? 2 : 1 }, ...(e.data.key === 'c' ? { $set: { tag: 'c' } } : {}) })
      },
    },
  })

const KEYS = ['a', 'a', 'b', 'c', 'gone']

/** Everything of the live generation a preview could disturb: its documents with their bookkeeping, its checkpoints, the state's generation. */
const liveSnapshot = async (documents: DocumentStore, name: string) => {
  const state = (await new ProjectionStates(documents).get(name))!
  const collection = physicalCollection(collectionOf(name), state.generation)
  const ids = (await documents.find(collection, {}, { sort: { _id: 1 } })).map((d) => d._id)
  return {
    generation: state.generation,
    version: state.version,
    partitions: state.partitions,
    documents: [...(await documents.getMany(collection, ids))].sort(([a], [b]) => (a < b ? -1 : 1)),
    checkpoints: await documents.listCheckpoints(`${name}@${state.generation}#`),
  }
}

/**
 * The rebuild preview against a real document store: after a projection's
 * handler changes, the preview lists exactly the documents that differ, and
 * the live generation and its documents are left as they were.
 */
export const rebuildPreviewSuite = (storeName: string, { documents: open, timeoutMs = 30_000 }: RebuildPreviewSuiteOptions): void => {
  describe(`rebuild preview on ${storeName}`, () => {
    const given = async () => {
      const documents = open()
      const eventStore = new InMemoryEventStore()
      const name = `preview-${randomBytes(4).toString('hex')}`
      for (const key of KEYS) await eventStore.appendToStream(`K-${key}`, [{ type: 'Hit', data: { key } }])
      await new ProjectionWorker({ eventStore, documents, projection: countsV1(name), stopAtHead: true }).run()
      return { documents, eventStore, name }
    }

    it(
      'lists exactly the documents a changed handler adds, removes and changes, and leaves the live generation as it was',
      async () => {
        const { documents, eventStore, name } = await given()
        const before = await liveSnapshot(documents, name)

        const preview = (await previewRebuild({ eventStore, documents, projection: countsV2(name) })) as RebuildPreview

        expect(preview).toMatchObject({ completed: true, liveGeneration: 1, previewGeneration: 2, kept: false, unchanged: 1 })
        expect(preview.added).toEqual({ count: 1, sample: [{ collection: collectionOf(name), id: 'total' }] })
        expect(preview.removed).toEqual({ count: 1, sample: [{ collection: collectionOf(name), id: 'gone' }] })
        expect(preview.changed).toEqual({
          count: 2,
          sample: [
            { collection: collectionOf(name), id: 'a', fields: [{ path: 'n', old: 2, new: 4 }], fieldCount: 1 },
            { collection: collectionOf(name), id: 'c', fields: [{ path: 'tag', new: 'c' }], fieldCount: 1 },
          ],
        })
        expect(await liveSnapshot(documents, name)).toEqual(before)
        const state = await new ProjectionStates(documents).get(name)
        expect(state?.rebuilding).toBeUndefined()
        expect(await documents.listCollections(`${collectionOf(name)}__2`)).toEqual([])
        expect(await documents.listCheckpoints(`${name}@2#`)).toEqual(new Map())
      },
      timeoutMs,
    )

    it(
      'keeps the preview generation when asked, and a rebuild then switches readers to it',
      async () => {
        const { documents, eventStore, name } = await given()
        const before = await liveSnapshot(documents, name)

        const preview = (await previewRebuild({ eventStore, documents, projection: countsV2(name), keep: true, sample: 1 })) as RebuildPreview
        expect(preview).toMatchObject({ kept: true, previewGeneration: 2, changed: { count: 2 } })
        expect(preview.changed.sample.map((d) => d.id)).toEqual(['a'])
        expect(await liveSnapshot(documents, name)).toEqual(before)
        expect((await new ProjectionStates(documents).get(name))?.rebuilding?.generation).toBe(2)

        await eventStore.appendToStream('K-b', [{ type: 'Hit', data: { key: 'b' } }])
        const rebuilt = await rebuildProjection({ eventStore, documents, projection: countsV2(name) })
        expect(rebuilt).toMatchObject({ generation: 2, resumed: true, previousGeneration: 1, eventsApplied: 1 })
        expect(await documents.find(physicalCollection(collectionOf(name), 2), {}, { sort: { _id: 1 } })).toEqual([
          { _id: 'a', n: 4 },
          { _id: 'b', n: 2 },
          { _id: 'c', n: 1, tag: 'c' },
          { _id: 'total', n: 6 },
        ])
      },
      timeoutMs,
    )

    it(
      'previews a projection that never ran: every document is added, and nothing is left behind',
      async () => {
        const documents = open()
        const eventStore = new InMemoryEventStore()
        const name = `preview-${randomBytes(4).toString('hex')}`
        for (const key of KEYS) await eventStore.appendToStream(`K-${key}`, [{ type: 'Hit', data: { key } }])

        const preview = (await previewRebuild({ eventStore, documents, projection: countsV1(name) })) as RebuildPreview

        expect(preview).toMatchObject({ liveGeneration: undefined, added: { count: 4 }, removed: { count: 0 }, changed: { count: 0 }, unchanged: 0 })
        expect(await new ProjectionStates(documents).get(name)).toBeUndefined()
        expect(await documents.listCheckpoints(`${name}@`)).toEqual(new Map())
        expect(await documents.listCollections(collectionOf(name))).toEqual([])
      },
      timeoutMs,
    )
  })
}
