import { afterEach, beforeEach, expect, it } from '@jest/globals'
import { EventStoreDBEventStore } from '../store/eventstoredb-event-store'
import { describeEventStoreDB, uniqueTag } from '../testing/server'

const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

describeEventStoreDB('EventStoreDB retention and deletion', (url) => {
  let store: EventStoreDBEventStore
  let streamId: string
  beforeEach(async () => {
    store = new EventStoreDBEventStore(url)
    streamId = `${uniqueTag()}Session-1`
    await store.appendToStream(streamId, [1, 2, 3, 4, 5].map((n) => ({ type: 'Seen', data: { n } })))
  })
  afterEach(async () => {
    await store.close()
  })

  it('sets, reads and removes retention limits', async () => {
    expect(await store.setRetention(streamId, { maxAge: 3600, maxCount: 3 })).toEqual({ maxAge: 3600, maxCount: 3 })
    expect(await store.getRetention(streamId)).toEqual({ maxAge: 3600, maxCount: 3 })

    expect(await store.setRetention(streamId, { maxCount: null })).toEqual({ maxAge: 3600 })
  })

  it('hides events outside the limits from reads at once', async () => {
    await store.setRetention(streamId, { maxCount: 2 })
    expect((await collect(store.readStream(streamId))).map((e) => e.revision)).toEqual([3n, 4n])

    await store.setRetention(streamId, { maxCount: null, truncateBefore: 4n })
    expect((await collect(store.readStream(streamId))).map((e) => e.revision)).toEqual([4n])
  })

  it('soft-deletes a stream, which can be written again with revisions going on', async () => {
    await store.deleteStream(streamId)

    expect(await collect(store.readStream(streamId))).toEqual([])
    const next = await store.appendToStream(streamId, [{ type: 'Seen', data: { n: 6 } }])
    expect(next.nextRevision).toBe(5n)
  })

  it('refuses a delete at a stale revision with a ConcurrencyError', async () => {
    await expect(store.deleteStream(streamId, { expectedRevision: 1n })).rejects.toMatchObject({ type: 'concurrency', streamId, expected: 1n, actual: 4n })
  })

  it('refuses an append expecting stream_exists to a soft-deleted stream with a ConcurrencyError, and takes one expecting any', async () => {
    await store.deleteStream(streamId)

    await expect(store.appendToStream(streamId, [{ type: 'Seen', data: {} }], { expectedRevision: 'stream_exists' })).rejects.toMatchObject({
      type: 'concurrency',
      streamId,
      expected: 'stream_exists',
    })
    await expect(store.appendToStream(streamId, [{ type: 'Seen', data: {} }], { expectedRevision: 'any' })).resolves.toMatchObject({ nextRevision: 5n })
  })

  it('does nothing for a soft delete of a missing stream', async () => {
    await expect(store.deleteStream(`${uniqueTag()}Missing-1`)).resolves.toEqual({ position: undefined })
  })

  it('refuses to change the retention of a soft-deleted stream, which would undelete it', async () => {
    await store.deleteStream(streamId)

    await expect(store.setRetention(streamId, { maxAge: 60 })).rejects.toMatchObject({ type: 'stream-soft-deleted', streamId })
    expect(await collect(store.readStream(streamId))).toEqual([])
  })

  it('loses the metadata on a soft delete, as the server replaces it', async () => {
    await store.setRetention(streamId, { maxAge: 3600 })
    await store.deleteStream(streamId)
    await store.appendToStream(streamId, [{ type: 'Seen', data: { n: 6 } }])

    expect((await store.getRetention(streamId)).maxAge).toBeUndefined()
  })

  it('leaves the events of a soft-deleted stream out of readAll before any scavenge', async () => {
    await store.deleteStream(streamId)

    expect(await collect(store.readAll({ filter: { streamPrefixes: [streamId] } }))).toEqual([])
  })
})
