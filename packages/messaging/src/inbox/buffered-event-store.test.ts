import { describe, expect, it } from '@jest/globals'
import { ConcurrencyError, InMemoryEventStore, type RecordedEvent } from '@eventfold/core'
import { BufferedEventStore } from './buffered-event-store'

const read = async (events: AsyncIterable<RecordedEvent>): Promise<[bigint, unknown][]> => {
  const out: [bigint, unknown][] = []
  for await (const e of events) out.push([e.revision, e.data])
  return out
}

describe('BufferedEventStore', () => {
  const seeded = async (): Promise<{ store: InMemoryEventStore; buffered: BufferedEventStore }> => {
    const store = new InMemoryEventStore()
    await store.appendToStream('S-1', [{ type: 'A', data: 0 }, { type: 'A', data: 1 }])
    return { store, buffered: new BufferedEventStore(store) }
  }

  it('holds appends, checked against the store and the appends it holds, and writes nothing', async () => {
    const { store, buffered } = await seeded()
    expect(await buffered.appendToStream('S-1', [{ type: 'A', data: 2 }], { expectedRevision: 1n })).toEqual({ nextRevision: 2n, position: -1n })
    expect(await buffered.appendToStream('S-1', [{ type: 'A', data: 3 }], { expectedRevision: 2n })).toMatchObject({ nextRevision: 3n })
    await expect(buffered.appendToStream('S-1', [{ type: 'A', data: 9 }], { expectedRevision: 1n })).rejects.toMatchObject({
      type: new ConcurrencyError('S-1', 1n, 3n).type,
      streamId: 'S-1',
      expected: 1n,
      actual: 3n,
    })
    expect(buffered.appends.map((a) => [a.streamId, a.expectedRevision, a.events.length])).toEqual([
      ['S-1', 1n, 1],
      ['S-1', 2n, 1],
    ])
    expect(await store.streamRevision('S-1')).toBe(1n)
    expect(await buffered.streamRevision('S-1')).toBe(3n)
  })

  it('reads a stream with the events it holds after the stored ones, in both directions and from a revision', async () => {
    const { buffered } = await seeded()
    await buffered.appendToStream('S-1', [{ type: 'A', data: 2 }, { type: 'A', data: 3 }], { expectedRevision: 1n })
    expect(await read(buffered.readStream('S-1'))).toEqual([[0n, 0], [1n, 1], [2n, 2], [3n, 3]])
    expect(await read(buffered.readStream('S-1', { fromRevision: 1n, maxCount: 2 }))).toEqual([[1n, 1], [2n, 2]])
    expect(await read(buffered.readStream('S-1', { direction: 'backwards', fromRevision: 2n }))).toEqual([[2n, 2], [1n, 1], [0n, 0]])
  })

  it('creates a stream that does not exist yet, and refuses a second creation', async () => {
    const { buffered } = await seeded()
    await buffered.appendToStream('S-2', [{ type: 'B', data: 'x' }], { expectedRevision: 'no_stream' })
    expect(await read(buffered.readStream('S-2'))).toEqual([[0n, 'x']])
    await expect(buffered.appendToStream('S-2', [{ type: 'B', data: 'y' }], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(ConcurrencyError)
  })
})
