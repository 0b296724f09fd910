import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from '@jest/globals'
import type { RecordedEvent } from '@eventfold/core'
import { decodePosition } from '../mapping/position'
import { describeEventStoreDB, uniqueTag } from '../testing/server'
import { EventStoreDBEventStore } from './eventstoredb-event-store'

const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

describeEventStoreDB('EventStoreDBEventStore on a server', (url) => {
  let store: EventStoreDBEventStore
  let tag: string
  beforeEach(() => {
    store = new EventStoreDBEventStore(url)
    tag = uniqueTag()
  })
  afterEach(async () => {
    await store.close()
  })

  it('gives an event the same position in its append result, its stream and $all', async () => {
    const streamId = `${tag}Account-1`
    const appended = await store.appendToStream(streamId, [{ type: 'Opened', data: {} }, { type: 'Deposited', data: { n: 1 } }])

    const [fromStream] = await collect(store.readStream(streamId, { fromRevision: 1n }))
    const fromAll = (await collect(store.readAll({ fromPosition: appended.position, maxCount: 1, filter: { streamPrefixes: [tag] } })))[0]

    expect(fromStream!.position).toBe(appended.position)
    expect(fromAll).toEqual(fromStream)
    // Self-committed events: commit and prepare are the event's own log position.
    const { commit, prepare } = decodePosition(appended.position)
    expect(commit).toBe(prepare)
  })

  it('keeps an append idempotent for event ids that are not UUIDs', async () => {
    const streamId = `${tag}Account-1`
    const batch = [{ type: 'Opened', data: {}, metadata: { eventId: `cmd-${randomUUID()}:0` } }]
    const first = await store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' })

    await expect(store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' })).resolves.toEqual(first)
    const read = await collect(store.readStream(streamId))
    expect(read.map((e) => e.metadata.eventId)).toEqual([batch[0]!.metadata.eventId])
  })

  it('leaves system events out of readAll and the head', async () => {
    const log = await collect(store.readAll({ direction: 'backwards', maxCount: 200 }))

    expect(log.filter((e) => e.streamId.startsWith('$') || e.type.startsWith('$'))).toEqual([])
  })

  it('resumes a filtered subscription from the position it reported, losing nothing', async () => {
    const wanted = { eventTypes: [`${tag}.Wanted`] }
    for (let i = 0; i < 50; i++) await store.appendToStream(`${tag}Noise-${i}`, [{ type: 'Noise', data: {} }])
    const reports: Array<bigint | undefined> = []
    const first = store.subscribeToAll({ fromPosition: 'end', filter: wanted, onCaughtUp: (p) => reports.push(p) })
    const firstSeen: RecordedEvent[] = []
    const loop = (async () => {
      for await (const e of first) firstSeen.push(e)
    })()
    await store.appendToStream(`${tag}Account-1`, [{ type: `${tag}.Wanted`, data: { n: 1 } }])
    for (let i = 0; i < 100; i++) await store.appendToStream(`${tag}Noise-x${i}`, [{ type: 'Noise', data: {} }])
    const deadline = Date.now() + 10_000
    while ((firstSeen.length < 1 || reports.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    await first.close()
    await loop
    const checkpoint = reports[reports.length - 1]!
    await store.appendToStream(`${tag}Account-2`, [{ type: `${tag}.Wanted`, data: { n: 2 } }])

    const second = store.subscribeToAll({ fromPosition: checkpoint, filter: wanted })
    const iterator = second[Symbol.asyncIterator]()
    const next = (await iterator.next()).value as RecordedEvent

    expect(firstSeen.map((e) => e.data)).toEqual([{ n: 1 }])
    expect(checkpoint >= firstSeen[0]!.position).toBe(true)
    expect(next.data).toEqual({ n: 2 })
    await second.close()
  })

  it('refuses appends to a tombstoned stream with a StreamTombstonedError and reads it as empty', async () => {
    const streamId = `${tag}Account-1`
    await store.appendToStream(streamId, [{ type: 'Opened', data: {} }])

    await store.deleteStream(streamId, { hard: true })

    await expect(store.appendToStream(streamId, [{ type: 'Deposited', data: {} }])).rejects.toMatchObject({ type: 'stream-tombstoned', streamId })
    expect(await collect(store.readStream(streamId))).toEqual([])
    expect(await store.streamRevision(streamId)).toBeUndefined()
  })
})
